// The `chain` plugin through the dispatcher, with fake built-ins on a FakeHost and the recorder
// as an external sub-plugin: order, merged nft transactions, prevResult threading, capability
// filtering per sub-plugin, rollback of a failed ADD (built-ins and externals), recover after the
// rollback, undo failures in the error, DEL in reverse going on past errors, CHECK, GC and STATUS.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createChainPlugin } from '../../../chain/plugin/definition.js'
import { externalRunner } from '../../../chain/runner.js'
import { CniError } from '../../../src/cni/errors.js'
import type { JsonObject, Result } from '../../../src/cni/types.js'
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import type { MetaPlugin, PlannedVerb } from '../../../src/plan/meta-plugin.js'
import type { Plan, PlannedStep } from '../../../src/plan/types.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import { FIXTURES, readLog } from './fixtures/helpers.js'

interface Seen { type: string; verb: string; conf: JsonObject }

const P = '/run/netns/p'
const table = (name: string) => ({ table: { family: 'inet', name } })
/** an nft step adding table NAME, undone by deleting it */
const nftStep = (name: string): PlannedStep => ({ kind: 'nft', batch: [{ add: table(name) }], undo: [{ kind: 'nft', batch: [{ delete: table(name) }] }] })
/** a sysctl step setting net/KEY to 1 in the pod, undone by writing 0 back */
const sysctlStep = (key: string): PlannedStep => ({ kind: 'sysctl', netns: P, key: `net/${key}`, value: '1', undo: [{ kind: 'sysctl', netns: P, key: `net/${key}`, value: '0' }] })
const ipStep = (name: string): PlannedStep => ({ kind: 'ip', args: ['link', 'set', name, 'up'], undo: [{ kind: 'ip', args: ['link', 'set', name, 'down'] }] })

interface Behaviour {
  /** the steps planned for a verb (default: ip then nft, named after type and verb) */
  steps?: (verb: string) => PlannedStep[]
  /** verbs whose planning fails (code 7) */
  failOn?: string[]
  recover?: MetaPlugin['recover']
  /** notes on every plan */
  notes?: string[]
}

const fakeMeta = (type: string, seen: Seen[], b: Behaviour = {}): MetaPlugin => ({
  type,
  versions: ['1.0.0', '1.1.0'],
  about: type,
  plan: async (verb: PlannedVerb, req: PluginRequest): Promise<Plan> => {
    seen.push({ type, verb, conf: req.conf })
    if (b.failOn?.includes(verb)) throw new CniError(7, `${type} refuses`)
    const prev = (req.conf.prevResult ?? { cniVersion: req.conf.cniVersion }) as unknown as Result
    return {
      ...(b.notes ? { notes: b.notes } : {}),
      steps: b.steps ? b.steps(verb) : [ipStep(`${type}-${verb}`), nftStep(`${type}-${verb}`)],
      ...(verb === 'ADD' ? { result: { ...prev, interfaces: [...(prev.interfaces ?? []), { name: type }] } } : {}),
    }
  },
  check: async (req) => void seen.push({ type, verb: 'CHECK', conf: req.conf }),
  status: async (req) => void seen.push({ type, verb: 'STATUS', conf: req.conf }),
  ...(b.recover ? { recover: b.recover } : {}),
})

/** lastPlanOfEach: per (verb, type), the last call, in the order of first calls */
const lastPlanOfEach = (seen: Seen[]): Seen[] => {
  const last = new Map<string, Seen>()
  for (const s of seen) {
    const k = `${s.verb}:${s.type}`
    last.delete(k)
    last.set(k, s)
  }
  const order = [...new Set(seen.map((s) => `${s.verb}:${s.type}`))]
  return order.map((k) => last.get(k) as Seen)
}

const setup = (behaviour: Record<string, Behaviour> = {}) => {
  const seen: Seen[] = []
  const warnings: string[] = []
  const metas = new Map(['fa', 'fb', 'fc'].map((n) => [n, fakeMeta(n, seen, behaviour[n])]))
  const plugin = createChainPlugin({ builtin: (type) => metas.get(type), runner: externalRunner(() => {}), warn: (w) => void warnings.push(w) })
  const host = createFakeHost()
  const call = async (verb: string, conf: JsonObject) => {
    let out = ''
    const code = await runPlugin(plugin, {
      env: { CNI_COMMAND: verb, CNI_CONTAINERID: 'c1', CNI_NETNS: P, CNI_IFNAME: 'eth0', CNI_PATH: FIXTURES, CNI_ARGS: 'IgnoreUnknown=1' },
      readStdin: async () => JSON.stringify(conf),
      stdout: (s) => void (out += s),
      stderr: () => {},
    }, () => host)
    return { code, json: out ? JSON.parse(out) : undefined }
  }
  return { seen, host, call, warnings }
}

const nftCalls = (host: FakeHost) => host.calls.filter((c) => c.tool === 'nft').map((c) => c.args as unknown[])
/** every call as one short line, to compare whole sequences */
const trace = (host: FakeHost): string[] => host.calls.map((c) => {
  if (c.tool === 'nft') return `nft ${(c.args as { add?: { table: { name: string } }; delete?: { table: { name: string } } }[]).map((x) => (x.add ? `+${x.add.table.name}` : `-${x.delete?.table.name}`)).join(' ')}`
  return `${c.tool} ${(c.args as unknown[]).join(' ')}`
})
const prevResult = { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', sandbox: P }], ips: [{ address: '10.0.0.2/24', interface: 0 }] }
const chainConf = (plugins: JsonObject[]) => ({ cniVersion: '1.1.0', name: 'n1', type: 'chain', prevResult, plugins })
/** the steps of a plugin whose nft work comes last (fa) or first (fb): adjacent across the two */
const endsWithNft: Behaviour = { steps: (v) => [sysctlStep(`fa-${v}`), nftStep(`fa-${v}`)] }
const startsWithNft: Behaviour = { steps: (v) => [nftStep(`fb-${v}`), ipStep(`fb-${v}`)] }

t.test('ADD: adjacent nft steps of consecutive built-ins commit as one transaction; externals run in between', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup({ fa: endsWithNft, fb: startsWithNft })
  const conf = {
    ...chainConf([
      { type: 'fa', capabilities: { portMappings: true } },
      { type: 'fb', capabilities: { bandwidth: true, mac: true } },
      { type: 'recorder', tag: 'ext', log: join(dir, 'log'), capabilities: { portMappings: true } },
      { type: 'fc' },
    ]),
    runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }], bandwidth: { ingressRate: 1000 } },
  }
  const { code, json } = await call('ADD', conf)
  t.equal(code, 0, JSON.stringify(json))
  t.same(json.interfaces.map((i: { name: string }) => i.name), ['eth0', 'fa', 'fb', 'ext', 'fc'], 'result threads through all, last one printed')
  // fb was planned at once on the chain's prevResult, then again on fa's result (which added an
  // interface): the plan that counts is the last one of each plugin (chain/plugin/plan-segment.ts)
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['ADD:fa', 'ADD:fb', 'ADD:fb', 'ADD:fc'])
  seen.splice(0, seen.length, ...lastPlanOfEach(seen))
  t.same(seen[0]?.conf.runtimeConfig, { portMappings: conf.runtimeConfig.portMappings })
  t.same(seen[1]?.conf.runtimeConfig, { bandwidth: conf.runtimeConfig.bandwidth })
  t.equal(seen[2]?.conf.runtimeConfig, undefined)
  t.equal(seen[0]?.conf.capabilities, undefined)
  t.same((seen[1]?.conf.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa'], 'fb planned on fa\'s result')
  t.same((seen[2]?.conf.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa', 'fb', 'ext'])
  t.same(trace(host), ['sysctl net/fa-ADD 1', 'nft +fa-ADD +fb-ADD', 'ip link set fb-ADD up', 'ip link set fc-ADD up', 'nft +fc-ADD'],
    'fa+fb in one transaction, every plugin\'s own order kept')
  const ext = readLog(dir)[0]
  t.same(ext?.stdin.runtimeConfig, { portMappings: conf.runtimeConfig.portMappings })
  t.same((ext?.stdin.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa', 'fb'])
  t.same([ext?.env.CNI_CONTAINERID, ext?.env.CNI_NETNS, ext?.env.CNI_ARGS, ext?.stdin.name], ['c1', P, 'IgnoreUnknown=1', 'n1'])
})

t.test('ADD: nft steps merge across other plugins\' steps, never ahead of a plugin\'s own earlier steps', async (t) => {
  // fb plans ip, then nft: its ip step runs before the transaction it shares with fa
  const { host, call } = setup({ fa: endsWithNft })
  t.equal((await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }]))).code, 0)
  t.same(trace(host), ['sysctl net/fa-ADD 1', 'ip link set fb-ADD up', 'nft +fa-ADD +fb-ADD'])
})

t.test('ADD: a planning error stops the chain before anything of its segment is applied', async (t) => {
  const { seen, host, call } = setup({ fb: { failOn: ['ADD'] } })
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }, { type: 'fc' }]))
  t.equal(code, 1)
  t.same(json, { cniVersion: '1.1.0', code: 7, msg: 'plugin type="fb" name="n1" failed (add): fb refuses' })
  // all three were planned at once (plan-segment.ts); fb's error is the one reported, fc's plan is dropped
  t.same(lastPlanOfEach(seen).map((s) => s.type), ['fa', 'fb', 'fc'])
  t.same(host.calls, [], 'nothing applied')
})

t.test('ADD: plugin B fails after plugin A changed a sysctl: A\'s sysctl is restored', async (t) => {
  const { host, call } = setup({ fa: { steps: (v) => [sysctlStep(`fa-${v}`)] }, fb: { steps: (v) => [ipStep(`fb-${v}`)] } })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  host.failures.set('ip link set fb-ADD up', 'RTNETLINK answers: Operation not permitted')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }]))
  t.equal(code, 1)
  t.match(json.msg, /^plugin type="fb" name="n1" failed \(add\): .*Operation not permitted/)
  t.equal(host.sysctls.get(`${P}|net/fa-ADD`), '0', 'A\'s sysctl is back')
  t.same(trace(host), ['sysctl net/fa-ADD 1', 'ip link set fb-ADD up', 'sysctl net/fa-ADD 0'], 'no re-apply, one undo')
})

t.test('ADD: a failing merged transaction rolls back every plugin and names both; nothing is retried', async (t) => {
  const { host, call } = setup({ fa: endsWithNft, fb: startsWithNft })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }]))
  t.equal(code, 1)
  t.equal(json.code, 999)
  t.match(json.msg, /^plugins type="fa", type="fb" name="n1" failed \(add\) in one nft transaction: .*File exists/)
  t.same(trace(host), ['sysctl net/fa-ADD 1', 'nft +fa-ADD +fb-ADD', 'sysctl net/fa-ADD 0'])
  t.equal(host.sysctls.get(`${P}|net/fa-ADD`), '0')
})

t.test('ADD: a later built-in segment fails: the earlier segment and the external in between are undone', async (t) => {
  const dir = t.testdir()
  const log = join(dir, 'log')
  const { host, call } = setup({ fa: { steps: (v) => [sysctlStep(`fa-${v}`), ipStep(`fa-${v}`)] }, fc: { steps: (v) => [nftStep(`fc-${v}`)] } })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  host.failures.set('nft -j -f', 'Error: No such file or directory')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'recorder', tag: 'ext', log }, { type: 'fc' }]))
  t.equal(code, 1)
  t.match(json.msg, /^plugin type="fc" name="n1" failed \(add\)/)
  t.same(trace(host), ['sysctl net/fa-ADD 1', 'ip link set fa-ADD up', 'nft +fc-ADD', 'ip link set fa-ADD down', 'sysctl net/fa-ADD 0'])
  const calls = readLog(dir)
  t.same(calls.map((c) => c.command), ['ADD', 'DEL'], 'the external\'s ADD is undone by its DEL, before fa\'s undo')
  t.same((calls[1]?.stdin.prevResult as Result).interfaces?.map((i) => i.name), ['eth0', 'fa', 'ext'], 'DEL gets the external\'s own result')
})

t.test('ADD: an external failing after built-ins: the built-ins are undone', async (t) => {
  const dir = t.testdir()
  const { host, call } = setup({ fa: { steps: (v) => [sysctlStep(`fa-${v}`)] } })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'recorder', tag: 'ext', log: join(dir, 'log'), fail: { ADD: 11 } }]))
  t.equal(code, 1)
  t.same([json.code, json.msg], [11, 'plugin type="recorder" name="n1" failed (add): recorder ext failed'])
  t.equal(host.sysctls.get(`${P}|net/fa-ADD`), '0')
  t.same(readLog(dir).map((c) => c.command), ['ADD'], 'a failed external is not DELeted by the chain (its own ADD rolled back)')
})

t.test('ADD: an external that succeeds without a result fails the ADD; everything is undone', async (t) => {
  const { host, call } = setup({ fa: { steps: (v) => [sysctlStep(`fa-${v}`)] } })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'empty-stdout' }]))
  t.equal(code, 1)
  t.same([json.code, json.msg], [6, 'plugin type="empty-stdout" name="n1" failed (add): plugin printed no result'])
  t.equal(host.sysctls.get(`${P}|net/fa-ADD`), '0')
  t.notMatch(json.details ?? '', /rollback incomplete/, 'its DEL (exit 0) succeeded')
})

t.test('ADD: recover explains the failure after the whole chain was rolled back', async (t) => {
  let seenAtRecover: string | undefined
  const { host, call } = setup({
    fa: { steps: (v) => [sysctlStep(`fa-${v}`)] },
    fb: {
      steps: (v) => [nftStep(`fb-${v}`)],
      recover: async () => {
        seenAtRecover = host.sysctls.get(`${P}|net/fa-ADD`)
        throw new CniError(100, 'host port tcp/8080 is already mapped', 'owned by container other')
      },
    },
  })
  host.sysctls.set(`${P}|net/fa-ADD`, '0')
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }]))
  t.equal(code, 1)
  t.same(json, { cniVersion: '1.1.0', code: 100, msg: 'plugin type="fb" name="n1" failed (add): host port tcp/8080 is already mapped', details: 'owned by container other' })
  t.equal(seenAtRecover, '0', 'fa was already undone when fb explained')
})

t.test('ADD: a recover that returns a plan does not resume a rolled-back ADD', async (t) => {
  const { host, call } = setup({ fb: { steps: (v) => [nftStep(`fb-${v}`)], recover: async () => ({ steps: [ipStep('replacement')] }) } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const { code, json } = await call('ADD', chainConf([{ type: 'fb' }]))
  t.equal(code, 1)
  t.match(json.msg, /File exists/)
  t.notOk(trace(host).some((l) => l.includes('replacement')))
})

t.test('ADD: undo steps that fail are listed in the error details', async (t) => {
  const { host, call } = setup({ fa: { steps: (v) => [sysctlStep(`fa-${v}`)] }, fb: { steps: (v) => [ipStep(`fb-${v}`)] } })
  host.failures.set('ip link set fb-ADD up', 'RTNETLINK answers: Operation not permitted')
  const run = host.ip.run
  host.ip.run = async (...args) => {
    // from fb's step on, writing fa's sysctl fails: its undo cannot put the old value back
    host.failures.set(`sysctl net/fa-ADD@${P}`, 'sysctl: permission denied on key "net/fa-ADD"')
    return run(...args)
  }
  const { code, json } = await call('ADD', chainConf([{ type: 'fa' }, { type: 'fb' }]))
  t.equal(code, 1)
  t.equal(json.code, 999)
  t.match(json.msg, /^plugin type="fb" name="n1" failed \(add\): .*Operation not permitted/)
  t.equal(json.details, `rollback incomplete, 1 undo(s) failed, still on the host: sysctl net/fa-ADD=0 (in ${P}): sysctl net/fa-ADD: sysctl: permission denied on key "net/fa-ADD"`)
})

t.test('DEL: reverse order, the chain\'s prevResult for every sub-plugin; an external failure halts it', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup()
  const log = join(dir, 'log')
  writeFileSync(log, '')
  const { code, json } = await call('DEL', chainConf([{ type: 'fa' }, { type: 'recorder', tag: 'ext', log, fail: { DEL: 11 } }, { type: 'fb' }, { type: 'fc' }]))
  t.equal(code, 1)
  t.same([json.code, json.msg], [11, 'plugin type="recorder" name="n1" failed (delete): recorder ext failed'])
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['DEL:fc', 'DEL:fb'], 'fa, before the failing plugin in the list, does not run (spec: halt)')
  for (const s of seen) t.same(s.conf.prevResult, prevResult)
  t.same(readLog(dir).map((l) => l.command), ['DEL'])
  t.same(readLog(dir)[0]?.stdin.prevResult, prevResult)
  t.same(trace(host), ['ip link set fc-DEL up', 'ip link set fb-DEL up', 'nft +fc-DEL +fb-DEL'], 'one transaction for fc and fb')
})

t.test('DEL: a planning error halts after the plugins planned before it were applied', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup({ fb: { failOn: ['DEL'] } })
  const log = join(dir, 'log')
  const { code, json } = await call('DEL', chainConf([{ type: 'fa' }, { type: 'recorder', tag: 'ext', log }, { type: 'fb' }, { type: 'fc' }]))
  t.equal(code, 1)
  t.same([json.code, json.msg], [7, 'plugin type="fb" name="n1" failed (delete): fb refuses'])
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['DEL:fc', 'DEL:fb'])
  t.same(trace(host), ['ip link set fc-DEL up', 'nft +fc-DEL'], 'fc (DEL order before fb) applied')
  t.same(readLog(dir), [], 'the external before fa in DEL order never ran')
})

t.test('GC: every sub-plugin runs, failures are joined', async (t) => {
  const dir = t.testdir()
  const { seen, host, call } = setup({ fb: { failOn: ['GC'] } })
  const log = join(dir, 'log')
  const { code, json } = await call('GC', { ...chainConf([{ type: 'fa' }, { type: 'recorder', tag: 'ext', log, fail: { GC: 11 } }, { type: 'fb' }, { type: 'fc' }]), prevResult: undefined, 'cni.dev/valid-attachments': [] })
  t.equal(code, 1)
  t.equal(json.code, 11, 'the first failure\'s code')
  t.match(json.msg, /type="recorder" name="n1" failed \(gc\): recorder ext failed.*type="fb" name="n1" failed \(gc\): fb refuses/)
  t.same(seen.map((s) => `${s.verb}:${s.type}`), ['GC:fa', 'GC:fb', 'GC:fc'])
  t.same(trace(host), ['ip link set fa-GC up', 'nft +fa-GC', 'ip link set fc-GC up', 'nft +fc-GC'])
})

t.test('DEL: a failed merged transaction: finished plugins stay done, the unfinished ones run alone with recover', async (t) => {
  const recovered: string[] = []
  const { host, call } = setup({
    fc: { steps: (v) => [ipStep(`fc-${v}`)] },
    fb: { steps: (v) => [ipStep(`fb-${v}`), nftStep(`fb-${v}`)] },
    fa: {
      steps: (v) => [nftStep(`fa-${v}`)],
      recover: async (verb) => {
        recovered.push(verb)
        return { steps: [{ kind: 'nft', batch: [{ delete: table('fa-retry') }] }] }
      },
    },
  })
  // every batch that holds fa's work fails twice (merged, then fa alone); fa's recover retries
  let faFailures = 0
  const apply = host.nft.apply
  host.nft.apply = async (batch) => {
    await apply(batch)
    if (JSON.stringify(batch).includes('fa-DEL') && faFailures++ < 2) throw new CniError(999, 'Error: Could not process rule: Device or resource busy')
  }
  // DEL order fc, fb, fa: fb's nft and fa's merge into one transaction, which fails
  const { code, json } = await call('DEL', chainConf([{ type: 'fa' }, { type: 'fb' }, { type: 'fc' }]))
  t.equal(code, 0, JSON.stringify(json))
  t.same(trace(host), [
    'ip link set fc-DEL up', 'ip link set fb-DEL up', 'nft +fb-DEL +fa-DEL', // merged: the transaction fails
    'ip link set fb-DEL down', // what ran of fb is undone (fc, all its steps done, stays done)
    'ip link set fb-DEL up', 'nft +fb-DEL', // fb alone
    'nft +fa-DEL', 'nft -fa-retry', // fa alone fails, its recover's plan applies
  ])
  t.same(recovered, ['DEL'])
})

t.test('DEL: notes and reported best-effort failures of the built-ins go to warn, named by plugin', async (t) => {
  const restore = (v: string): PlannedStep => ({ kind: 'ip', args: ['link', 'set', 'x', 'mtu', v], ignoreFailure: true, reportFailure: true })
  const { host, call, warnings } = setup({
    fa: { steps: () => [restore('1500')], notes: ['mac not restored: the recorded "01:00:5e:00:00:01" is a multicast address'] },
    fb: { steps: () => [{ kind: 'ip', args: ['link', 'del', 'gone'], ignoreFailure: true }] },
  })
  host.failures.set('ip link set x mtu 1500', 'Error: mtu greater than device maximum.')
  host.failures.set('ip link del gone', 'Cannot find device "gone"')
  const { code } = await call('DEL', chainConf([{ type: 'fa' }, { type: 'fb' }]))
  t.equal(code, 0)
  t.same(warnings, [
    'fa: mac not restored: the recorded "01:00:5e:00:00:01" is a multicast address',
    'fa: ip link set x mtu 1500 failed: ip link set x mtu 1500: Error: mtu greater than device maximum.',
  ], 'an unreported best-effort failure (fb) stays quiet')
})

t.test('CHECK in order, GC over all with the attachment lists, STATUS', async (t) => {
  const { seen, host, call } = setup({ fa: endsWithNft, fb: startsWithNft })
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
