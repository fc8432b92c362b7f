// `cni-chain reload` on the semantic fake host (chain/reload.ts): a pod added through the executor
// with all four meta plugins (bridge a stand-in), then its ruleset flushed or its ifb deleted;
// reload must bring the host back to exactly the state ADD left, run only the built-ins, and a
// second reload must make no effectful call at all.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { builtinDefinition } from '../../../chain/builtin-definitions.js'
import { builtinMeta } from '../../../chain/builtins.js'
import { parseConfList } from '../../../chain/conf-load.js'
import { addList, delList, type ExecutorDeps, type RuntimeArgs } from '../../../chain/executor.js'
import { standInRunner } from '../../../chain/fixtures/stand-in.js'
import { worldFromResult } from '../../../chain/fixtures/world.js'
import { metaCalls, reloadAll, reloadFailure, sandboxOf, type ReloadDeps } from '../../../chain/reload.js'
import { combinedRunner, type PluginRunner } from '../../../chain/runner.js'
import { renderReport } from '../../../chain/cli/commands/reload.js'
import { cachePath } from '../../../src/cni/cache.js'
import type { JsonObject } from '../../../src/cni/types.js'
import { HOST_NS, type SemanticHost } from '../../../src/host/fake/index.js'
import { emptyNftState } from '../../../src/host/fake/nft-state.js'

const FIX = resolve(import.meta.dirname, '../../../fixtures')
const RESULT = JSON.parse(readFileSync(resolve(FIX, 'results/bridge-dual.result.json'), 'utf8')) as JsonObject
const NETNS = '/run/netns/pod1'
const CACHE = '/var/lib/cni'
const CAPS = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }
const BRIDGE = { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local' } }
const META = [
  { type: 'tuning', mtu: 1400, sysctl: { 'net.core.somaxconn': '1024' } },
  { type: 'portmap', capabilities: { portMappings: true } },
  { type: 'bandwidth', ingressRate: 8_000_000, ingressBurst: 80_000, egressRate: 8_000_000, egressBurst: 80_000 },
  { type: 'firewall', ingressPolicy: 'same-bridge' },
]
const listOf = (plugins: object[], cniVersion = '1.0.0', name = 'relnet') =>
  parseConfList(Buffer.from(JSON.stringify({ cniVersion, name, plugins })), 'test')

interface World {
  host: SemanticHost
  view: () => JsonObject
  /** every plugin call the runner received, as "VERB type" */
  seen: string[]
  exec: ExecutorDeps
  reload: ReloadDeps
  rt: (containerId: string) => RuntimeArgs
}

const world = async (): Promise<World> => {
  const w = await worldFromResult(RESULT, NETNS)
  const host = w.host as SemanticHost
  const seen: string[] = []
  const inner = combinedRunner(builtinDefinition, () => host, standInRunner({ bridge: { result: RESULT } }))
  const runner: PluginRunner = { run: (verb, type, conf, env) => (seen.push(`${verb} ${type}`), inner.run(verb, type, conf, env)) }
  const inspectNetns = async (p: string) => ((await host.netns.exists(p)) ? undefined : `${p} does not exist`)
  return {
    host,
    view: w.snapshot as () => JsonObject,
    seen,
    exec: { runner, files: host.files },
    reload: { runner, files: host.files, isBuiltin: (type) => builtinMeta(type) !== undefined, inspectNetns },
    rt: (containerId) => ({ containerId, netns: NETNS, ifname: 'eth0', args: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'p1']], capabilityArgs: CAPS, cacheDir: CACHE, pluginDirs: ['/opt/cni/bin'] }),
  }
}

const flushRuleset = (host: SemanticHost): void => {
  const ns = host.world.namespaces.get(HOST_NS)
  if (!ns) throw new Error('no node namespace')
  ns.nft = emptyNftState()
}

const outcomes = (r: Awaited<ReturnType<typeof reloadAll>>) =>
  r.attachments.map((a) => ({ id: a.containerId, outcome: a.outcome, plugins: Object.fromEntries(a.plugins.map((p) => [p.type, p.outcome])) }))

t.test('after a flush, reload re-creates the ruleset exactly; a second reload writes nothing', async (t) => {
  const w = await world()
  const list = listOf([BRIDGE, ...META])
  await addList(list, w.rt('ctr1'), w.exec)
  const added = w.view()
  flushRuleset(w.host)
  t.notSame(w.view(), added, 'the flush changed the host')

  w.seen.length = 0
  const first = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  t.same(outcomes(first), [{ id: 'ctr1', outcome: 'restored', plugins: { tuning: 'intact', portmap: 'restored', bandwidth: 'intact', firewall: 'restored' } }])
  t.match(first.attachments[0]?.plugins.find((p) => p.type === 'portmap')?.check, /missing/, 'the failed CHECK is reported')
  t.same(w.view(), added, 'the host is as ADD left it')
  t.notOk(w.seen.some((s) => s.endsWith(' bridge')), 'the interface plugin is never run')
  t.equal(reloadFailure(first), undefined)

  const calls = w.host.calls.length
  w.seen.length = 0
  const second = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  t.same(outcomes(second), [{ id: 'ctr1', outcome: 'intact', plugins: { tuning: 'intact', portmap: 'intact', bandwidth: 'intact', firewall: 'intact' } }])
  t.equal(w.host.calls.length, calls, 'no effectful call')
  t.same(w.seen, ['CHECK tuning', 'CHECK portmap', 'CHECK bandwidth', 'CHECK firewall'])
  t.same(w.view(), added)

  // and the pod still deletes cleanly afterwards
  await delList(list, w.rt('ctr1'), w.exec)
  t.same(await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload), { attachments: [] }, 'nothing cached any more')
})

t.test('an ifb and qdiscs deleted by hand: bandwidth re-creates ifb, tbfs, clsact and redirect', async (t) => {
  const w = await world()
  await addList(listOf([BRIDGE, ...META]), w.rt('ctr1'), w.exec)
  const added = w.view() as any
  const ifb = Object.keys(added.namespaces[HOST_NS].links).find((n) => n.startsWith('bwp')) as string
  t.ok(ifb, 'ADD made an ifb')
  w.host.removeLink(undefined, ifb)
  await w.host.tc.run([['qdisc', 'del', 'dev', 'veth5a1b2c3d', 'root'], ['qdisc', 'del', 'dev', 'veth5a1b2c3d', 'clsact']])
  const report = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  t.same(outcomes(report), [{ id: 'ctr1', outcome: 'restored', plugins: { tuning: 'intact', portmap: 'intact', bandwidth: 'restored', firewall: 'intact' } }])
  const after = w.view() as any
  // a new ifb has a new ifindex; everything else is as ADD left it
  const strip = (v: any) => {
    const c = structuredClone(v)
    for (const l of Object.values(c.namespaces[HOST_NS].links) as any[]) delete l.ifindex
    return JSON.parse(JSON.stringify(c).replace(/"(toIfindex|ifindex)":\d+/g, '"$1":0'))
  }
  t.same(strip(after), strip(added), 'ifb, tbfs, clsact and the redirect are back')
})

t.test('skipped, none and failed attachments are reported; the others are still reloaded', async (t) => {
  const w = await world()
  await addList(listOf([BRIDGE, ...META]), w.rt('ctr1'), w.exec)
  await addList(listOf([BRIDGE], '1.0.0', 'plain'), w.rt('ctr2'), w.exec)
  // a cache entry whose pod namespace is gone, and one without a result, written as libcni would
  const entry = (id: string, extra: JsonObject) => JSON.stringify({
    kind: 'cniCacheV1', containerId: id, ifName: 'eth0', networkName: 'relnet',
    config: Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'relnet', plugins: [BRIDGE, ...META] })).toString('base64'), ...extra,
  })
  await w.host.files.write(cachePath(CACHE, 'relnet', 'gone', 'eth0'), entry('gone', { netns: '/run/netns/gone', result: RESULT }), 0o600)
  await w.host.files.write(cachePath(CACHE, 'relnet', 'noresult', 'eth0'), entry('noresult', { netns: NETNS }), 0o600)
  // libcni before 1.2 caches no netns: the result's sandbox names it (here a gone one)
  const oldResult = { ...RESULT, interfaces: [{ name: 'eth0', sandbox: '/run/netns/old' }] }
  await w.host.files.write(cachePath(CACHE, 'relnet', 'old', 'eth0'), entry('old', { result: oldResult }), 0o600)
  flushRuleset(w.host)
  // the first nft transaction fails (portmap's): its attachment fails, firewall still runs
  w.host.failWhen((c) => c.tool === 'nft', { stderr: 'Error: Could not process rule: No buffer space available' })
  const report = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  const byId = Object.fromEntries(report.attachments.map((a) => [a.containerId, a]))
  t.equal(byId.ctr2?.outcome, 'none', 'a list without meta plugins: nothing to do')
  t.equal(byId.ctr1?.outcome, 'failed')
  t.same(Object.fromEntries((byId.ctr1?.plugins ?? []).map((p) => [p.type, p.outcome])), { tuning: 'intact', portmap: 'failed', bandwidth: 'intact', firewall: 'restored' })
  t.match(byId.ctr1?.plugins.find((p) => p.type === 'portmap')?.error, /No buffer space/)
  t.equal(byId.gone?.outcome, 'skipped')
  t.match(byId.gone?.reason, /netns gone: \/run\/netns\/gone does not exist/)
  t.equal(byId.old?.outcome, 'skipped')
  t.equal(byId.old?.netns, '/run/netns/old')
  t.match(byId.old?.reason, /netns gone: \/run\/netns\/old does not exist/)
  t.equal(byId.noresult?.outcome, 'skipped')
  t.match(byId.noresult?.reason, /no cached result/)
  const err = reloadFailure(report)
  t.equal(err?.code, 11)
  t.match(err?.message, /reload failed for 1 of 5/)
  t.match(renderReport(report), /^failed {3}relnet ctr1 eth0: re-created by firewall; intact: tuning, bandwidth; portmap failed: .*No buffer space/m)
  t.match(renderReport(report), /^skipped {2}relnet gone eth0: netns gone/m)
  t.match(renderReport(report), /reload: 5 cached attachment\(s\): 1 none, 1 failed, 3 skipped\n$/)

  // the failure passes: a retry restores the rest
  const retry = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE, networks: ['relnet'] }, w.reload)
  t.same(Object.fromEntries(retry.attachments.map((a) => [a.containerId, a.outcome])), { ctr1: 'restored', gone: 'skipped', noresult: 'skipped', old: 'skipped' })
})

t.test('the chain plugin: its built-in sub-plugins are reloaded with its runtimeConfig', async (t) => {
  const w = await world()
  const chain = { type: 'chain', capabilities: { portMappings: true }, plugins: [META[0], META[1], META[3]] }
  await addList(listOf([BRIDGE, chain]), w.rt('ctr1'), w.exec)
  const added = w.view()
  flushRuleset(w.host)
  const report = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  t.same(outcomes(report), [{ id: 'ctr1', outcome: 'restored', plugins: { tuning: 'intact', portmap: 'restored', firewall: 'restored' } }])
  t.same(w.view(), added)
})

t.test('a 0.3.1 list has no CHECK: reload ADDs again, and the host still ends as ADD left it', async (t) => {
  const w = await world()
  await addList(listOf([BRIDGE, ...META], '0.3.1'), w.rt('ctr1'), w.exec)
  const added = w.view()
  flushRuleset(w.host)
  const seen0 = w.seen.length
  t.same(outcomes(await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload))[0]?.plugins, { tuning: 'restored', portmap: 'restored', bandwidth: 'restored', firewall: 'restored' })
  t.same(w.seen.slice(seen0), ['ADD tuning', 'ADD portmap', 'ADD bandwidth', 'ADD firewall'])
  t.same(w.view(), added)
  await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, w.reload)
  t.same(w.view(), added, 'and again')
})

t.test('--force ADDs without CHECK; the host is unchanged', async (t) => {
  const w = await world()
  await addList(listOf([BRIDGE, ...META]), w.rt('ctr1'), w.exec)
  const added = w.view()
  const seen0 = w.seen.length
  const report = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE, force: true }, w.reload)
  t.equal(report.attachments[0]?.outcome, 'restored')
  t.same(w.seen.slice(seen0), ['ADD tuning', 'ADD portmap', 'ADD bandwidth', 'ADD firewall'])
  t.same(w.view(), added)
})

t.test('an attachment the runtime DELs while reload re-creates it is removed again', async (t) => {
  const w = await world()
  const list = listOf([BRIDGE, ...META])
  await addList(list, w.rt('ctr1'), w.exec)
  // what the node looks like after this pod's DEL (the shared skeleton tables stay)
  const other = await world()
  await addList(list, other.rt('ctr1'), other.exec)
  await delList(list, other.rt('ctr1'), other.exec)
  const deleted = other.view() as any

  flushRuleset(w.host)
  const inner = w.reload.runner
  const racing: PluginRunner = {
    run: async (verb, type, conf, env) => {
      const out = await inner.run(verb, type, conf, env)
      // the runtime's DEL lands right after reload re-created portmap's chain (bandwidth's CHECK
      // then fails too, so it is re-created and removed again)
      if (verb === 'ADD' && type === 'portmap') await delList(list, w.rt('ctr1'), w.exec)
      return out
    },
  }
  const report = await reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE }, { ...w.reload, runner: racing })
  t.equal(report.attachments[0]?.outcome, 'deleted')
  t.same(Object.fromEntries(report.attachments[0]?.plugins.map((p) => [p.type, p.outcome]) ?? []), { tuning: 'intact', portmap: 'removed', bandwidth: 'removed', firewall: 'removed' })
  const nft = (v: any) => v.namespaces[HOST_NS].nft
  const podChains = (v: any) => JSON.stringify(nft(v)).match(/"chain (pm|fw)-[a-z2-7]{16}"/g) ?? []
  const live = await world()
  await addList(list, live.rt('ctr1'), live.exec)
  t.equal(podChains(live.view()).length, 2, 'the pattern finds a live pod\'s chains')
  t.same(podChains(w.view()), [], 'no chain of the pod is left')
  t.same(podChains(deleted), [])
  t.same((w.view() as any).files, deleted.files, 'no state file of the pod is left')
})

t.test('metaCalls: built-ins in ADD order, chain entries expanded, others left out', async (t) => {
  const list = listOf([
    BRIDGE,
    { type: 'tuning', capabilities: { mac: true } },
    { type: 'chain', capabilities: { portMappings: true, bandwidth: true }, args: { cni: { x: 1 } },
      plugins: [{ type: 'portmap', capabilities: { portMappings: true } }, { type: 'sbr' }, { type: 'bandwidth', capabilities: { bandwidth: true }, args: { own: true } }] },
  ])
  const caps = { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }], mac: '0a:00:00:00:00:01', bandwidth: { ingressRate: 1 } }
  t.same(metaCalls(list, caps, (ty) => builtinMeta(ty) !== undefined), [
    { type: 'tuning', conf: { type: 'tuning', name: 'relnet', cniVersion: '1.0.0', runtimeConfig: { mac: '0a:00:00:00:00:01' } } },
    { type: 'portmap', conf: { type: 'portmap', name: 'relnet', cniVersion: '1.0.0', runtimeConfig: { portMappings: caps.portMappings }, args: { cni: { x: 1 } } } },
    { type: 'bandwidth', conf: { type: 'bandwidth', args: { own: true }, name: 'relnet', cniVersion: '1.0.0', runtimeConfig: { bandwidth: { ingressRate: 1 } } } },
  ])
})

t.test("sandboxOf: the attachment interface's sandbox, else the first one", async (t) => {
  t.equal(sandboxOf({ interfaces: [{ name: 'cni0' }, { name: 'net1', sandbox: '/a' }, { name: 'eth0', sandbox: '/b' }] }, 'eth0'), '/b')
  t.equal(sandboxOf({ interfaces: [{ name: 'net1', sandbox: '/a' }] }, 'eth0'), '/a')
  t.equal(sandboxOf({ interfaces: [{ name: 'eth0', sandbox: '' }] }, 'eth0'), undefined)
  t.equal(sandboxOf({}, 'eth0'), undefined)
})

t.test('bad arguments are refused before anything is read', async (t) => {
  const w = await world()
  await t.rejects(reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: '' }, w.reload), { code: 4 })
  await t.rejects(reloadAll({ pluginDirs: ['/opt/cni/bin'], cacheDir: CACHE, networks: ['../x'] }, w.reload), { code: 7 })
  t.same(w.host.reads.filter((r) => r.startsWith('files')), [])
})
