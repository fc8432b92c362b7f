// applyWithRecovery: recover explains a failed ADD (a replacement plan is not applied: the ADD was
// rolled back), replaces a failed DEL's plan, and a clearer error keeps the undo failures.
import t from 'tap'
import { CniError } from '../../../src/cni/errors.js'
import { createFakeHost } from '../../../src/host/fake.js'
import { applyWithRecovery, pluginFromMeta, type MetaPlugin } from '../../../src/plan/meta-plugin.js'
import type { Plan } from '../../../src/plan/types.js'
import { RollbackIncompleteError } from '../../../src/plan/undo.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'

const req = {} as PluginRequest
const meta = (recover: MetaPlugin['recover']): MetaPlugin => ({
  type: 'm', versions: ['1.1.0'], about: 'm', plan: async () => ({ steps: [] }), check: async () => {}, ...(recover ? { recover } : {}),
})
const failing: Plan = { steps: [{ kind: 'ip', args: ['link', 'set', 'x', 'up'] }] }
const replacement: Plan = { steps: [{ kind: 'ip', args: ['link', 'set', 'y', 'up'] }] }
const ipCalls = (h: ReturnType<typeof createFakeHost>) => h.calls.filter((c) => c.tool === 'ip').map((c) => (c.args as string[]).join(' '))

t.test('DEL: a replacement plan is applied once', async (t) => {
  const h = createFakeHost()
  h.failures.set('ip link set x', 'RTNETLINK answers: Device or resource busy')
  const applied = await applyWithRecovery(meta(async () => replacement), 'DEL', req, h, failing)
  t.equal(applied.plan, replacement)
  t.same(applied.warnings, [])
  t.same(ipCalls(h), ['link set x up', 'link set y up'])
})

t.test('ADD: a replacement plan is ignored and the original error stands', async (t) => {
  const h = createFakeHost()
  h.failures.set('ip link set x', 'RTNETLINK answers: File exists')
  await t.rejects(applyWithRecovery(meta(async () => replacement), 'ADD', req, h, failing), { name: 'HostError', message: /File exists/ })
  t.same(ipCalls(h), ['link set x up'])
})

t.test('ADD: a clearer error replaces the original and keeps its undo failures', async (t) => {
  const h = createFakeHost()
  h.failures.set('ip link set x', 'RTNETLINK answers: File exists')
  h.failures.set('sysctl net/a', 'permission denied')
  const plan: Plan = { steps: [{ kind: 'remove-file', path: '/f', undo: [{ kind: 'sysctl', key: 'net/a', value: '0' }] }, ...failing.steps] }
  const clearer = new CniError(100, 'host port tcp/80 is already mapped', 'owned by container c2')
  const err = await applyWithRecovery(meta(async () => { throw clearer }), 'ADD', req, h, plan).then(() => undefined, (e: unknown) => e)
  t.type(err, RollbackIncompleteError)
  const e = err as RollbackIncompleteError
  t.same([e.code, e.msg], [100, 'host port tcp/80 is already mapped'])
  t.equal(e.details, 'owned by container c2; rollback incomplete, 1 undo(s) failed, still on the host: sysctl net/a=0: sysctl net/a: permission denied')
})

t.test('pluginFromMeta prints the applied plan\'s warnings, prefixed with the plugin type', async (t) => {
  const lines: string[] = []
  const m: MetaPlugin = { ...meta(undefined), plan: async () => ({ steps: [], notes: ['mtu not restored: out of range'] }) }
  await pluginFromMeta(m, (w) => void lines.push(w)).del!(req, createFakeHost())
  t.same(lines, ['m: mtu not restored: out of range'])
})

t.test('a recover that rethrows, or none at all: the original error', async (t) => {
  for (const m of [meta(async (_v, _r, _h, _p, err) => { throw err }), meta(undefined)]) {
    const h = createFakeHost()
    h.failures.set('ip link set x', 'RTNETLINK answers: File exists')
    await t.rejects(applyWithRecovery(m, 'DEL', req, h, failing), { name: 'HostError' })
  }
})
