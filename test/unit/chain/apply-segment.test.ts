// applySegmentCleanup on the semantic fake host: the merged DEL/GC plan interleaves the plans'
// steps, so after a failure a plan later in the list may be complete while an earlier one is half
// done. Complete plans stay done; what ran of the others (their own parts of merged steps only) is
// undone and they are applied alone: DEL halts at the first that still fails, GC goes on.
import t from 'tap'
import { applySegmentCleanup, type Planned } from '../../../chain/plugin/apply-segment.js'
import { HOST_NS, createSemanticHost, type SemanticHost } from '../../../src/host/fake/index.js'
import type { MetaPlugin } from '../../../src/plan/meta-plugin.js'
import type { Plan, PlannedStep } from '../../../src/plan/types.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'

const P = '/run/netns/pod'
const table = (name: string) => ({ table: { family: 'inet', name } })
/** deletes table NAME; its undo makes it again */
const delTable = (name: string): PlannedStep => ({ kind: 'nft', batch: [{ delete: table(name) }], undo: [{ kind: 'nft', batch: [{ add: table(name) }] }] })
/** writes 0 to the pod's net/core/KEY; its undo writes 1 back */
const zero = (key: string): PlannedStep => ({ kind: 'sysctl', netns: P, key: `net/core/${key}`, value: '0', undo: [{ kind: 'sysctl', netns: P, key: `net/core/${key}`, value: '1' }] })
/** sets link l1's mtu; its undo puts 1500 back */
const mtu = (v: number): PlannedStep => ({ kind: 'ip', args: ['link', 'set', 'dev', 'l1', 'mtu', String(v)], undo: [{ kind: 'ip', args: ['link', 'set', 'dev', 'l1', 'mtu', '1500'] }] })

const planned = (type: string, steps: PlannedStep[], notes?: string[]): Planned => {
  const plan: Plan = { steps, ...(notes ? { notes } : {}) }
  const meta: MetaPlugin = { type, versions: ['1.1.0'], about: type, plan: async () => plan, check: async () => {} }
  return { meta, req: { env: {}, conf: { cniVersion: '1.1.0', name: 'n1', type }, stdin: '' } as unknown as PluginRequest, plan }
}

const world = (): SemanticHost => {
  const host = createSemanticHost()
  host.addNamespace(P)
  host.setSysctls(P, { 'net/core/a': '1', 'net/core/b': '1', 'net/core/c': '1' })
  host.addLink(undefined, { name: 'l1', kind: 'device', mtu: 1500, maxMtu: 9000 })
  void host.nft.apply(['A', 'B', 'C'].map((n) => ({ add: table(n) })))
  return host
}

/** the calls from `from` on, one short line each */
const trace = (host: SemanticHost, from: number): string[] => host.calls.slice(from).map((c) => {
  if (c.tool === 'nft') return `nft ${(c.args as { add?: ReturnType<typeof table>; delete?: ReturnType<typeof table> }[]).map((x) => (x.add ? `+${x.add.table.name}` : `-${x.delete?.table.name}`)).join(' ')}`
  return `${c.tool} ${(c.args as unknown[]).join(' ')}`
})
const tables = (host: SemanticHost): string[] => (host.world.namespaces.get(HOST_NS)?.nft.tables ?? []).map((x) => x.name).sort()
const sysctls = (host: SemanticHost) => ['a', 'b', 'c'].map((k) => host.sysctlValue(P, `net/core/${k}`)).join('')

t.test('a later plan that finished stays done; only the unfinished plan\'s part of a merged step is undone, then it runs alone', async (t) => {
  const host = world()
  const gone: PlannedStep = { kind: 'ip', args: ['link', 'set', 'dev', 'gone', 'mtu', '1400'], ignoreFailure: true, reportFailure: true }
  const items = [
    planned('fa', [delTable('A'), zero('a')], ['fa note']),
    planned('fb', [zero('b'), gone], ['fb note']),
    planned('fc', [delTable('C')]),
  ]
  // merged: fb's sysctl and ip, then A+C in one transaction, then fa's sysctl, which fails once
  host.failWhen((c) => c.tool === 'sysctl' && (c.args as string[])[0] === 'net/core/a')
  const from = host.calls.length
  const warnings: string[] = []
  const errors = await applySegmentCleanup(items, 'DEL', 'n1', host, (w) => void warnings.push(w), true)
  t.same(errors, [])
  const calls = trace(host, from)
  // fb's steps run beside the A+C transaction (fb has no part in it: run-lanes.ts), in fb's order
  t.same(calls.slice(0, 3).sort(), ['ip link set dev gone mtu 1400', 'nft -A -C', 'sysctl net/core/b 0'])
  t.ok(calls.indexOf('sysctl net/core/b 0') < calls.indexOf('ip link set dev gone mtu 1400'), 'fb in its order')
  t.same(calls.slice(3), [
    'sysctl net/core/a 0',
    'sysctl net/core/a 1', // a failed sysctl -w may have written some keys: undone (harmless)
    'nft +A', // fa's part of the merged transaction is undone, not fc's: fc finished
    'nft -A', 'sysctl net/core/a 0', // fa alone
  ])
  t.same(tables(host), ['B'], 'C stays deleted')
  t.equal(sysctls(host), '001')
  t.same(warnings, [
    'fb: fb note',
    'fb: ip link set dev gone mtu 1400 failed: ip link set dev gone mtu 1400: Cannot find device "gone"',
    'fa: fa note',
  ], 'the finished plan\'s notes and warnings, then those of the one applied alone')
})

/** every nft transaction that deletes table A fails (busy), however often it is tried */
const failDeletingA = (host: SemanticHost): void =>
  host.failWhen((c) => c.tool === 'nft' && JSON.stringify(c.args).includes('"delete":{"table":{"family":"inet","name":"A"'), { times: Infinity, stderr: 'Error: Could not process rule: Device or resource busy' })

const halting = () => [
  planned('fa', [delTable('A')], ['fa note']),
  planned('fb', [mtu(1400), delTable('B')], ['fb note']),
  planned('fc', [zero('c')], ['fc note']),
]

t.test('DEL: the unfinished plans are undone and applied alone; the first that still fails halts the DEL', async (t) => {
  const host = world()
  // merged: fb's ip, fc's sysctl, then A+B in one transaction; every transaction deleting A fails
  failDeletingA(host)
  const from = host.calls.length
  const warnings: string[] = []
  const errors = await applySegmentCleanup(halting(), 'DEL', 'n1', host, (w) => void warnings.push(w), true)
  t.same(errors.map((e) => [e.code, e.msg]), [[999, 'plugin type="fa" name="n1" failed (delete): nft -j -f (batch file): Error: Could not process rule: Device or resource busy']])
  t.same(trace(host, from), [
    'ip link set dev l1 mtu 1400', 'sysctl net/core/c 0', 'nft -A -B',
    'ip link set dev l1 mtu 1500', // what ran of fb is undone
    'nft -A', // fa alone fails: DEL halts, fb is not applied
  ])
  t.same(tables(host), ['A', 'B', 'C'])
  t.equal(host.link(undefined, 'l1')?.mtu, 1500, 'fb\'s mtu is back: fb did not run')
  t.equal(sysctls(host), '110', 'fc finished')
  t.same(warnings, ['fc: fc note'], 'only the finished plan speaks')
})

t.test('GC: every unfinished plan is applied alone, each failure collected', async (t) => {
  const host = world()
  failDeletingA(host)
  const from = host.calls.length
  const warnings: string[] = []
  const errors = await applySegmentCleanup(halting(), 'GC', 'n1', host, (w) => void warnings.push(w), false)
  t.same(errors.map((e) => e.msg), ['plugin type="fa" name="n1" failed (gc): nft -j -f (batch file): Error: Could not process rule: Device or resource busy'])
  t.same(trace(host, from), [
    'ip link set dev l1 mtu 1400', 'sysctl net/core/c 0', 'nft -A -B',
    'ip link set dev l1 mtu 1500',
    'nft -A', // fa alone fails
    'ip link set dev l1 mtu 1400', 'nft -B', // fb alone
  ])
  t.same(tables(host), ['A', 'C'])
  t.equal(host.link(undefined, 'l1')?.mtu, 1400)
  t.same(warnings, ['fc: fc note', 'fb: fb note'])
})

t.test('nothing fails: one transaction, every plan\'s notes', async (t) => {
  const host = world()
  const from = host.calls.length
  const warnings: string[] = []
  t.same(await applySegmentCleanup(halting(), 'DEL', 'n1', host, (w) => void warnings.push(w), true), [])
  t.same(trace(host, from), ['ip link set dev l1 mtu 1400', 'sysctl net/core/c 0', 'nft -A -B'])
  t.same(tables(host), ['C'])
  t.same(warnings, ['fa: fa note', 'fb: fb note', 'fc: fc note'])
})
