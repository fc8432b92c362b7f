// Issue 8 on the runtime side: every executor verb and run-time publishing check the attachment's
// names (libcni's rules), the cache dir and, for ADD/CHECK, the netns BEFORE any plugin runs or any
// file is touched; conflists nested too deep are code 6; capability names match exactly (libcni).
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { filterRuntimeConfig, buildPluginConf } from '../../../chain/build-conf.js'
import { loadConfFile, parseConfList } from '../../../chain/conf-load.js'
import { addList, checkList, delList, gcList } from '../../../chain/executor.js'
import { changePorts, type PublishTarget } from '../../../chain/cli/publish.js'
import { createFakeHost } from '../../../src/host/fake.js'
import { parseMappingSpec } from '../../../meta-plugins/portmap/publish.js'
import { deps, readLog, recorderList, runtime } from './fixtures/helpers.js'

// a test dir with victim files where the traversal names of the issue lead from <dir>/cache
// (<dir>/cache/results/net1-ctr1-/../../../victim/x is <dir>/victim/x); `untouched` compares bytes and mtimes
const world = (t: Test) => {
  const dir = t.testdir({ victim: { x: 'root:x:0:0:secret\n', 'y-eth0': 'not json', '-eth0': 'not json' }, elsewhere: { 'net-pod1': '{}' } })
  const victims = [join(dir, 'victim', 'x'), join(dir, 'victim', 'y-eth0'), join(dir, 'victim', '-eth0'), join(dir, 'elsewhere', 'net-pod1')]
  const snap = () => victims.map((p) => ({ p, bytes: readFileSync(p).toString('base64'), mtime: statSync(p).mtimeMs }))
  const before = snap()
  return { dir, untouched: (label: string) => t.same(snap(), before, `${label}: files outside the cache untouched`) }
}

const TRAVERSAL = [
  { what: 'ifname /../../../victim/x', over: { ifname: '/../../../victim/x' }, code: 4 },
  { what: 'ifname ..', over: { ifname: '..' }, code: 4 },
  { what: 'container id a/../../../victim/y', over: { containerId: 'a/../../../victim/y' }, code: 4 },
  { what: 'container id ../../../victim/', over: { containerId: '../../../victim/' }, code: 4 },
  { what: 'empty container id', over: { containerId: '' }, code: 3 },
  { what: 'empty cache dir', over: { cacheDir: '' }, code: 4 },
]

t.test('ADD, CHECK and DEL refuse traversal names and an empty cache dir before any plugin runs', async (t) => {
  const { dir, untouched } = world(t)
  const list = recorderList(dir, [{ tag: 'a' }, { tag: 'b' }])
  for (const { what, over, code } of TRAVERSAL) {
    const rt = { ...runtime(dir), ...over }
    const verbs: [string, (l: typeof list, r: typeof rt, d: ReturnType<typeof deps>) => Promise<unknown>][] = [['ADD', addList], ['CHECK', checkList], ['DEL', delList]]
    for (const [verb, run] of verbs) await t.rejects(run(list, rt, deps()), { code }, `${verb} ${what}`)
  }
  t.same(readLog(dir), [], 'no plugin was called')
  t.same(readdirSync(dir).sort(), ['elsewhere', 'net1.conflist', 'victim'], 'no cache dir created')
  t.same(readdirSync(join(dir, 'victim')).sort(), ['-eth0', 'x', 'y-eth0'], 'nothing created or removed next to the victims')
  untouched('executor')
})

t.test('a list whose name is not a valid network name is refused (code 7) by every verb', async (t) => {
  const { dir, untouched } = world(t)
  const list = { ...recorderList(dir, [{ tag: 'a' }]), name: 'pod1/../../../elsewhere/net' }
  const rt = runtime(dir)
  for (const run of [addList, checkList, delList]) await t.rejects(async () => void (await run(list, rt, deps())), { code: 7, msg: 'invalid characters found in network name' })
  await t.rejects(gcList(list, { validAttachments: [], cacheDir: rt.cacheDir, pluginDirs: rt.pluginDirs }, deps()), { code: 7 })
  t.same(readLog(dir), [])
  untouched('bad network name')
})

t.test('GC checks its valid attachments and cache dir first', async (t) => {
  const { dir } = world(t)
  const list = recorderList(dir, [{ tag: 'a' }])
  const gc = { validAttachments: [{ containerID: 'c1', ifname: 'eth0' }], cacheDir: join(dir, 'cache'), pluginDirs: runtime(dir).pluginDirs }
  await t.rejects(gcList(list, { ...gc, validAttachments: [{ containerID: 'a/..', ifname: 'eth0' }] }, deps()), { code: 4, msg: 'invalid valid attachment containerID' })
  await t.rejects(gcList(list, { ...gc, validAttachments: [{ containerID: 'c1', ifname: '../x' }] }, deps()), { code: 4, msg: 'invalid valid attachment ifname' })
  await t.rejects(gcList(list, { ...gc, cacheDir: '' }, deps()), { code: 4, msg: 'invalid cache dir' })
  t.same(readLog(dir), [])
  await gcList(list, gc, deps())
  t.same(readLog(dir).map((l) => l.command), ['GC'])
})

t.test('ADD and CHECK ask whether the netns is a namespace (code 4 naming it); DEL does not', async (t) => {
  const { dir } = world(t)
  const list = recorderList(dir, [{ tag: 'a' }])
  const asked: string[] = []
  const d = { ...deps(), inspectNetns: async (p: string) => (asked.push(p), p === '/run/netns/pod1' ? undefined : `${JSON.stringify(p)} is not a network namespace (not a namespace file)`) }
  const plain = join(dir, 'victim', 'x')
  await t.rejects(addList(list, runtime(dir, { netns: plain }), d), { code: 4, msg: 'invalid CNI_NETNS', details: `${JSON.stringify(plain)} is not a network namespace (not a namespace file)` })
  await t.rejects(checkList(list, runtime(dir, { netns: plain }), d), { code: 4, msg: 'invalid CNI_NETNS' })
  t.same(readLog(dir), [], 'no plugin ran')
  await addList(list, runtime(dir), d)
  await delList(list, runtime(dir, { netns: plain }), d)
  t.same(asked, [plain, plain, '/run/netns/pod1'], 'DEL did not ask')
  t.same(readLog(dir).map((l) => l.command), ['ADD', 'DEL'])
})

t.test('a conflist nested 100,000 deep is code 6, inline or in a sibling-dir plugin', async (t) => {
  const dir = t.testdir()
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const text = `{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"recorder","x":${deep}}]}`
  t.throws(() => parseConfList(Buffer.from(text), 'n.conflist'), { code: 6, msg: 'error parsing configuration list n.conflist', details: /nested deeper than 256 levels/ })
  writeFileSync(join(dir, 'n.conflist'), JSON.stringify({ cniVersion: '1.1.0', name: 'n', plugins: [{ type: 'recorder' }] }))
  mkdirSync(join(dir, 'n'))
  writeFileSync(join(dir, 'n', '10-deep.conf'), `{"type":"recorder","x":${deep}}`)
  await t.rejects(loadConfFile(join(dir, 'n.conflist')), { code: 6, details: /nested deeper/ })
  writeFileSync(join(dir, 'single.conf'), `{"cniVersion":"1.1.0","name":"s","type":"recorder","x":${deep}}`)
  await t.rejects(loadConfFile(join(dir, 'single.conf')), { code: 6 })
})

t.test('capability names match exactly, as libcni: PortMappings / MAC get nothing from portMappings / mac', async (t) => {
  const args = { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }], mac: '02:00:00:00:00:01', PortMappings: 'upper' }
  t.equal(filterRuntimeConfig({ type: 'x', capabilities: { MAC: true } }, args), undefined)
  t.equal(filterRuntimeConfig({ type: 'x', capabilities: { Portmappings: true } }, args), undefined)
  t.same(filterRuntimeConfig({ type: 'x', capabilities: { PortMappings: true } }, args), { PortMappings: 'upper' }, 'the exact name, whatever its case')
  t.same(filterRuntimeConfig({ type: 'x', capabilities: { portMappings: true, mac: true } }, args), { portMappings: args.portMappings, mac: args.mac })
  t.same(filterRuntimeConfig({ type: 'x', capabilities: { portMappings: false } }, args), undefined, 'declared false')
  t.equal(filterRuntimeConfig({ type: 'x', capabilities: { constructor: true, toString: true } }, {}), undefined, 'inherited properties are not capability args')
  const proto = JSON.parse('{"__proto__":{"polluted":1}}') as Record<string, unknown>
  t.same(Object.keys(filterRuntimeConfig({ type: 'x', capabilities: JSON.parse('{"__proto__":true}') }, proto) ?? {}), ['__proto__'], '__proto__ stays a plain key')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('the `capabilities` key itself is read case-insensitively (Go decodes NetConf so) and never passed on', async (t) => {
  const conf = buildPluginConf({ type: 'x', Capabilities: { portMappings: true } }, { name: 'n', cniVersion: '1.1.0', capabilityArgs: { portMappings: [] } })
  t.same(conf, { type: 'x', name: 'n', cniVersion: '1.1.0', runtimeConfig: { portMappings: [] } })
})

const target: PublishTarget = {
  network: 'pmnet', cniVersion: '1.0.0', plugins: [{ type: 'portmap', capabilities: { portMappings: true } }],
  cacheDir: '/cache', containerId: 'pod1', ifname: 'eth0',
}

t.test('ports publish/unpublish: traversal names are refused before any file or nft call', async (t) => {
  const bad: [Partial<PublishTarget>, number][] = [
    [{ containerId: 'pod1/../../../elsewhere/net-pod1' }, 4],
    [{ ifname: '/../../../victim/x' }, 4],
    [{ network: '../elsewhere' }, 7],
    [{ cacheDir: '' }, 4],
  ]
  for (const [over, code] of bad) {
    const host = createFakeHost()
    const read = host.files.read
    host.files.read = async (p) => (host.calls.push({ tool: 'files', args: ['read', p] }), read(p))
    await t.rejects(changePorts(host, { ...target, ...over }, [parseMappingSpec('9093:80')], []), { code }, JSON.stringify(over))
    await t.rejects(changePorts(host, { ...target, ...over }, [], [parseMappingSpec('9093:80')]), { code })
    t.same(host.calls, [], 'no host call, not even a read')
  }
})

t.test('a 300-character container id (valid for libcni): ADD refused before any plugin runs; DEL completes', async (t) => {
  const { dir } = world(t)
  const list = recorderList(dir, [{ tag: 'a' }])
  const rt = runtime(dir, { containerId: 'c'.repeat(300) })
  await t.rejects(addList(list, rt, deps()), { code: 4, msg: 'cache file name too long' })
  t.same(readLog(dir), [], 'no plugin ran, so nothing is left that a DEL could not find')
  await delList(list, rt, deps())
  t.same(readLog(dir).map((l) => l.command), ['DEL'], 'DEL is not wedged by ENAMETOOLONG')
})
