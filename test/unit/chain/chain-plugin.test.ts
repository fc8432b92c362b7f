// The `chain` plugin through the dispatcher, with fake built-ins on a FakeHost and the recorder
// as an external sub-plugin: order, merged nft transaction, prevResult threading, capability
// filtering per sub-plugin, DEL in reverse going on past errors, CHECK, GC and STATUS.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createChainPlugin } from '../../../chain/plugin/definition.js'
import { externalRunner } from '../../../chain/runner.js'
import { CniError } from '../../../src/cni/errors.js'
import type { JsonObject, Result } from '../../../src/cni/types.js'
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import type { MetaPlugin, PlannedVerb } from '../../../src/plan/meta-plugin.js'
import type { Plan } from '../../../src/plan/types.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import { FIXTURES, readLog } from './fixtures/helpers.js'

interface Seen { type: string; verb: string; conf: JsonObject }

/** fakeMeta plans one nft batch and one ip command per verb and appends its interface on ADD. */
const fakeMeta = (type: string, seen: Seen[], failOn: string[] = []): MetaPlugin => ({
  type,
  versions: ['1.0.0', '1.1.0'],
  about: type,
  plan: async (verb: PlannedVerb, req: PluginRequest): Promise<Plan> => {
    seen.push({ type, verb, conf: req.conf })
    if (failOn.includes(verb)) throw new CniError(7, `${type} refuses`)
    const prev = (req.conf.prevResult ?? { cniVersion: req.conf.cniVersion }) as unknown as Result
    return {
      steps: [
        { kind: 'ip', args: ['link', 'set', `${type}-${verb}`, 'up'] },
        { kind: 'nft', batch: [{ add: { table: { family: 'inet', name: `${type}-${verb}` } } }], undo: [{ kind: 'nft', batch: [{ delete: { table: { family: 'inet', name: `${type}-${verb}` } } }] }] },
      ],
      ...(verb === 'ADD' ? { result: { ...prev, interfaces: [...(prev.interfaces ?? []), { name: type }] } } : {}),
    }
  },
  check: async (req) => void seen.push({ type, verb: 'CHECK', conf: req.conf }),
  status: async (req) => void seen.push({ type, verb: 'STATUS', conf: req.conf }),
})

const setup = (failOn: Record<string, string[]> = {}) => {
  const seen: Seen[] = []
  const metas = new Map(['fa', 'fb', 'fc'].map((n) => [n, fakeMeta(n, seen, failOn[n])]))
  const plugin = createChainPlugin({ builtin: (type) => metas.get(type), runner: externalRunner(() => {}) })
  const host = createFakeHost()
  const call = async (verb: string, conf: JsonObject) => {
    let out = ''
    const code = await runPlugin(plugin, {
      env: { CNI_COMMAND: verb, CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: FIXTURES, CNI_ARGS: 'IgnoreUnknown=1' },
      readStdin: async () => JSON.stringify(conf),
      stdout: (s) => void (out += s),
      stderr: () => {},
    }, () => host)
    return { code, json: out ? JSON.parse(out) : undefined }
  }
  return { seen, host, call }
}

const nftCalls = (host: FakeHost) => host.calls.filter((c) => c.tool === 'nft').map((c) => c.args as unknown[])
const prevResult = { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/p' }], ips: [{ address: '10.0.0.2/24', interface: 0 }] }

t.test('ADD: consecutive built-ins commit one nft transaction; externals run in between', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup()
  const conf = {
    cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult,
    runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }], bandwidth: { ingressRate: 1000 } },
    plugins: [
      { type: 'fa', capabilities: { portMappings: true } },
      { type: 'fb', capabilities: { bandwidth: true, mac: true } },
      { type: 'recorder', tag: 'ext', log: join(dir, 'log'), capabilities: { portMappings: true } },
      { type: 'fc' },
    ],
  }
  const { code, json } = await call('ADD', conf)
  t.equal(code, 0, JSON.stringify(json))
  t.same(json.interfaces.map((i: { name: string }) => i.name), ['eth0', 'fa', 'fb', 'ext', 'fc'], 'result threads through all, last one printed')
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['ADD:fa', 'ADD:fb', 'ADD:fc'])
  t.same(seen[0]?.conf.runtimeConfig, { portMappings: conf.runtimeConfig.portMappings })
  t.same(seen[1]?.conf.runtimeConfig, { bandwidth: conf.runtimeConfig.bandwidth })
  t.equal(seen[2]?.conf.runtimeConfig, undefined)
  t.equal(seen[0]?.conf.capabilities, undefined)
  t.same((seen[1]?.conf.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa'], 'fb planned on fa\'s result')
  t.same((seen[2]?.conf.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa', 'fb', 'ext'])
  t.same(nftCalls(host), [
    [{ add: { table: { family: 'inet', name: 'fa-ADD' } } }, { add: { table: { family: 'inet', name: 'fb-ADD' } } }],
    [{ add: { table: { family: 'inet', name: 'fc-ADD' } } }],
  ], 'fa+fb merged into one transaction')
  const ext = readLog(dir)[0]
  t.same(ext?.stdin.runtimeConfig, { portMappings: conf.runtimeConfig.portMappings })
  t.same((ext?.stdin.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa', 'fb'])
  t.same([ext?.env.CNI_CONTAINERID, ext?.env.CNI_NETNS, ext?.env.CNI_ARGS, ext?.stdin.name], ['c1', '/run/netns/p', 'IgnoreUnknown=1', 'n1'])
})

t.test('ADD: a planning error stops the chain before anything of its segment is applied', async (t) => {
  const { seen, host, call } = setup({ fb: ['ADD'] })
  const { code, json } = await call('ADD', { cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult, plugins: [{ type: 'fa' }, { type: 'fb' }, { type: 'fc' }] })
  t.equal(code, 1)
  t.same(json, { cniVersion: '1.1.0', code: 7, msg: 'plugin type="fb" name="n1" failed (add): fb refuses' })
  t.same(seen.map((s) => s.type), ['fa', 'fb'])
  t.same(host.calls, [], 'nothing applied')
})

t.test('ADD: a failing merged transaction is retried plugin by plugin to name the culprit', async (t) => {
  const { host, call } = setup()
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const { code, json } = await call('ADD', { cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult, plugins: [{ type: 'fa' }, { type: 'fb' }] })
  // the fake fails only the first nft call: the merged one; one by one both succeed
  t.equal(code, 0, JSON.stringify(json))
  t.equal(nftCalls(host).filter((b) => b.length === 2).length, 1, 'merged attempt')
  t.ok(nftCalls(host).some((b) => JSON.stringify(b).includes('fb-ADD') && b.length === 1), 'then fb alone')
})

t.test('DEL: reverse order, the chain\'s prevResult for every sub-plugin, errors collected', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup({ fb: ['DEL'] })
  const log = join(dir, 'log')
  writeFileSync(log, '')
  const { code, json } = await call('DEL', {
    cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult,
    plugins: [{ type: 'fa' }, { type: 'recorder', tag: 'ext', log, fail: { DEL: 11 } }, { type: 'fb' }, { type: 'fc' }],
  })
  t.equal(code, 1)
  t.equal(json.code, 7, 'first failure in DEL order')
  t.match(json.msg, /type="fb" name="n1" failed \(delete\): fb refuses.*type="recorder" name="n1" failed \(delete\): recorder ext failed/)
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['DEL:fc', 'DEL:fb', 'DEL:fa'])
  for (const s of seen) t.same(s.conf.prevResult, prevResult)
  t.same(readLog(dir).map((l) => l.command), ['DEL'])
  t.same(readLog(dir)[0]?.stdin.prevResult, prevResult)
  t.same(nftCalls(host).map((b) => JSON.stringify(b).match(/f[abc]-DEL/g)), [['fc-DEL'], ['fa-DEL']], 'fc and fa still applied')
})

t.test('CHECK in order, GC over all with the attachment lists, STATUS', async (t) => {
  const { seen, host, call } = setup()
  const base = { cniVersion: '1.1.0', name: 'n1', type: 'chain', plugins: [{ type: 'fa' }, { type: 'fb' }] }
  t.equal((await call('CHECK', { ...base, prevResult })).code, 0)
  const valid = [{ containerID: 'c1', ifname: 'eth0' }]
  t.equal((await call('GC', { ...base, 'cni.dev/valid-attachments': valid, 'cni.dev/attachments': valid })).code, 0)
  t.equal((await call('STATUS', base)).code, 0)
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['CHECK:fa', 'CHECK:fb', 'GC:fa', 'GC:fb', 'STATUS:fa', 'STATUS:fb'])
  t.same(seen[2]?.conf['cni.dev/valid-attachments'], valid)
  t.same(seen[3]?.conf['cni.dev/attachments'], valid)
  t.equal(nftCalls(host).length, 1, 'GC plans merged too')
})

t.test('bad sub-plugin lists are code 7 and touch nothing', async (t) => {
  const { host, call } = setup()
  for (const plugins of [undefined, [], [{}], [{ type: '../x' }], ['fa']]) {
    const { code, json } = await call('ADD', { cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult, plugins })
    t.equal(code, 1)
    t.equal(json.code, 7, JSON.stringify(plugins))
  }
  const { json } = await call('ADD', { cniVersion: '0.4.0', name: 'n1', type: 'chain', plugins: [{ type: 'fa' }] })
  t.equal(json.code, 1, 'a built-in that does not speak the version')
  t.same(host.calls, [])
})
