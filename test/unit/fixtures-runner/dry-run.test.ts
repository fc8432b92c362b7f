// --dry-run without root: reads from the semantic fake built from --prev-result, writes recorded and
// never made, and the plans printed are the plans a fixture records for the same case.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { dryRunHost, type SkippedWrite } from '../../../chain/cli/dry-run-host.js'
import { dryRunReport } from '../../../chain/cli/dry-run.js'
import { runtimeArgsOf } from '../../../chain/cli/runtime.js'
import { runFixture } from '../../../chain/fixtures/engine.js'
import type { Fixture, FixtureVerb } from '../../../chain/fixtures/types.js'
import { fixtureWorld } from '../../../chain/fixtures/world.js'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { applyPlan } from '../../../src/plan/apply.js'

const FIX = resolve(import.meta.dirname, '../../../fixtures')
const CONFLIST = resolve(FIX, 'conflists/bridge-tuning-portmap.conflist')
const RESULT = resolve(FIX, 'results/bridge-v4.result.json')
const CAPS = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }

t.test('dryRunHost serves reads and records every write', async (t) => {
  const base = createSemanticHost()
  base.addNamespace('/run/netns/p')
  base.addLink('/run/netns/p', { name: 'eth0', kind: 'veth', up: true })
  base.setSysctls('/run/netns/p', { 'net/core/somaxconn': '4096' })
  const before = base.snapshot()
  const writes: SkippedWrite[] = []
  const host = dryRunHost(base, writes)
  t.same(await host.sysctl.read(['net/core/somaxconn'], '/run/netns/p'), ['4096'])
  t.equal((await host.ip.json<unknown[]>(['-d', 'link', 'show', 'dev', 'eth0'], '/run/netns/p')).length, 1)
  await applyPlan({ steps: [
    { kind: 'nft', batch: [{ add: { table: { family: 'inet', name: 't' } } }] },
    { kind: 'ip', netns: '/run/netns/p', args: ['link', 'set', 'dev', 'eth0', 'mtu', '1400'] },
    { kind: 'sysctl', netns: '/run/netns/p', key: 'net/core/somaxconn', value: '1' },
    { kind: 'write-file', path: '/run/x', content: 'x', mode: 0o600 },
    { kind: 'remove-file', path: '/run/y' },
    { kind: 'conntrack-delete', family: 'ipv4', protocol: 'udp', port: 53 },
  ] }, host)
  t.same(writes.map((w) => w.tool), ['nft', 'ip', 'sysctl', 'files', 'files', 'conntrack'])
  t.same(base.snapshot(), before, 'the host did not change')
  t.same(base.calls, [], 'no effectful call reached it')
})

const argv = (extra: Record<string, unknown> = {}) => ({
  network: CONFLIST, netns: '/run/netns/pod1', 'container-id': 'ctr1', ifname: 'eth0', 'cap-args': JSON.stringify(CAPS),
  'prev-result': RESULT, 'cache-dir': '/var/lib/cni', builtins: true, 'dry-run': true, ...extra,
})

// the same case as a fixture with one step
const asFixture = (verb: FixtureVerb): Fixture => ({
  description: 'dry-run twin', conflist: CONFLIST, runtime: { containerId: 'ctr1', netns: '/run/netns/pod1', ifname: 'eth0', capabilityArgs: CAPS },
  delegates: { bridge: { result: RESULT } }, steps: [{ verb, expect: {} }],
})

for (const verb of ['ADD', 'DEL', 'CHECK'] as const) {
  t.test(`${verb} --dry-run --prev-result prints the plans a fixture records`, async (t) => {
    const a = argv()
    const report = await dryRunReport(verb, a, runtimeArgsOf(a), true)
    const run = await runFixture({ path: resolve(FIX, 'x.json'), fixture: asFixture(verb) }, fixtureWorld)
    const step = run.steps[0]
    t.ok(step)
    if (verb === 'CHECK') {
      // --prev-result stands in for the cache, so the plugins check the fake, where nothing was tuned
      t.equal(report.error?.code, 100)
      t.match(report.error?.msg, /plugin type="tuning"/)
      t.same(report.plans, [], 'CHECK plans nothing')
    } else {
      t.equal(report.error, undefined, JSON.stringify(report.error))
      // a dry run applies nothing, so nothing fails to apply: a plugin's recovery plan (portmap's DEL
      // of chains that were never made) cannot show; every plan made first is the same
      t.same(report.plans, step?.plans.filter((p) => !p.recovery))
      t.ok(report.plans.length > 0, 'plans were made')
    }
    if (verb === 'ADD') {
      t.same(report.result, step?.result)
      for (const note of [/bridge.*not run.*--prev-result/, /host: not root/, /cache: would write/]) t.ok(report.notes.some((n) => note.test(n)), `notes ${note}`)
    }
  })
}

t.test('ADD --dry-run of a list with an external plugin and no --prev-result is refused', async (t) => {
  // the real host: a real namespace file, and the refusal comes before anything is read
  const a = { ...argv(), 'prev-result': undefined, netns: '/proc/self/ns/net' }
  const report = await dryRunReport('ADD', a, runtimeArgsOf(a), false)
  t.equal(report.error?.code, 4)
  t.match(report.error?.msg, /cannot run external plugin "bridge"/)
  t.same(report.plans, [])
})

t.test('--no-builtins cannot be dry-run', async (t) => {
  const a = argv({ builtins: false })
  await t.rejects(dryRunReport('ADD', a, runtimeArgsOf(a), true), /--dry-run runs the built-in plugins in process/)
})

t.test('a fixture on disk agrees too', async (t) => {
  const fx = JSON.parse(readFileSync(resolve(FIX, 'chains/bridge-tuning-portmap.json'), 'utf8')) as Fixture
  const a = argv()
  const report = await dryRunReport('ADD', a, runtimeArgsOf(a), true)
  t.same(report.plans, fx.steps[0]?.expect.plans, 'chains/bridge-tuning-portmap.json records the same ADD plans')
})
