// The fuzz case generator: for case n, a valid call of a random plugin and verb on the case's
// shard, then (for most cases) one to three hostile mutations of its environment, its config or
// its JSON text. Each case has its own random stream derived from (seed, n), so case n is the same
// whatever the case count, and CC_FUZZ_SEED=<seed> replays a run.
// A mutation marks the verbs for which the call must fail ("sure"); otherwise a hostile case may
// end either way, as long as it ends well (see judge.ts).
import {
  ANY_HOSTILE, BAD_CIDRS, BAD_CONTAINER_IDS, BAD_DIRS, BAD_IFNAMES, BAD_IPS, BAD_MACS, BAD_NETNS, BAD_NETWORK_NAMES,
  BAD_PREV_RESULTS, BAD_PROTOCOLS, BAD_QUANTITIES, BAD_SYSCTL_KEYS, BAD_SYSCTL_VALUES, BAD_VERSIONS, HOSTILE_NUMBERS,
  HOSTILE_STRINGS, ODD_CONTAINER_IDS, ODD_IFNAMES, ODD_IPS, WRONG_TYPES, deep, raw, serialize,
} from './hostile.js'
import { rng, type Rng } from '../../../lib/rng.js'
import { FUZZ_VERBS, PLUGINS, type Expectation, type FuzzCase, type FuzzContext, type FuzzVerb, type PluginName, type Shard } from './types.js'
import { VERSIONS, portMappings, validConf, versionsFor } from './valid.js'

type Json = Record<string, any>

/** What a mutation works on. `target` is the plugin entry (the chain's or one of its sub-plugins). */
interface MutCtx {
  r: Rng
  n: number
  ctx: FuzzContext
  shard: Shard
  verb: FuzzVerb
  conf: Json
  target: Json
  targetType: string
  env: Record<string, string>
  /**
   * verbs for which the call must fail because of a config mutation (kept only when it is the
   * case's one config mutation: a later one may overwrite the same value)
   */
  sure: Set<FuzzVerb>
  /** the text mutation leaves no JSON object: every verb but VERSION fails */
  textSure: boolean
  /** at most one text mutation per case: two could undo each other (garbage appended, then cut off) */
  texts: ((s: string) => string)[]
}

interface Mutation {
  name: string
  /** only for targets of these types (default: any) */
  types?: string[]
  apply(m: MutCtx): void
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

const ALL_BUT_VERSION: FuzzVerb[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS']
const ATTACHMENT_VERBS: FuzzVerb[] = ['ADD', 'DEL', 'CHECK']
const sure = (m: MutCtx, verbs: FuzzVerb[]): void => verbs.forEach((v) => m.sure.add(v))

/** an own "__proto__" key (JSON.parse makes one; an object literal would set the prototype) */
const protoObject = (inner: unknown): Json => JSON.parse(`{"__proto__": ${JSON.stringify(inner)}, "constructor": {"prototype": {"polluted": "yes"}}}`)

const setIn = (obj: Json, key: string, value: unknown): void => {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}

const TOP_KEYS = ['cniVersion', 'type', 'prevResult', 'runtimeConfig', 'args', 'capabilities', 'ipam', 'dns']

const MUTATIONS: Mutation[] = [
  // --- the environment
  { name: 'env: no CNI_COMMAND', apply: (m) => { if (m.r.bool()) delete m.env.CNI_COMMAND; else m.env.CNI_COMMAND = '' } },
  { name: 'env: bad CNI_COMMAND', apply: (m) => { m.env.CNI_COMMAND = m.r.pick(['add', 'FOO', 'ADD ', 'ADD\n', ' DEL', 'VERSION;ADD', 'ADD\u0000', 'Add', 'GCX', 'x'.repeat(5000)]) } },
  {
    name: 'env: missing variable',
    apply: (m) => {
      const v = m.r.pick(['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH', 'CNI_ARGS'])
      if (m.r.bool()) delete m.env[v]
      else m.env[v] = ''
    },
  },
  { name: 'env: bad CNI_IFNAME', apply: (m) => { m.env.CNI_IFNAME = m.r.pick(BAD_IFNAMES) } },
  { name: 'env: odd CNI_IFNAME', apply: (m) => { m.env.CNI_IFNAME = m.r.pick(ODD_IFNAMES) } },
  { name: 'env: bad CNI_CONTAINERID', apply: (m) => { m.env.CNI_CONTAINERID = m.r.pick(BAD_CONTAINER_IDS) } },
  { name: 'env: odd CNI_CONTAINERID', apply: (m) => { m.env.CNI_CONTAINERID = m.r.pick(ODD_CONTAINER_IDS(m.ctx.marker, m.n)) } },
  { name: 'env: bad CNI_NETNS', apply: (m) => { m.env.CNI_NETNS = m.r.pick(BAD_NETNS) } },
  {
    name: 'env: hostile CNI_ARGS',
    apply: (m) => {
      m.env.CNI_ARGS = m.r.pick([
        'IgnoreUnknown=1;MAC=zz', 'MAC=01:00:5e:00:00:01', 'K8S_POD_NAME=../../x', 'a=b=c', ';;;', '=', 'x'.repeat(5000), 'IgnoreUnknown=true;K8S_POD_NAMESPACE="; drop',
        'IgnoreUnknown=1;__proto__=x', 'IgnoreUnknown=1;MAC=', 'MAC=aa:bb:cc:dd:ee:ff;MAC=02:00:00:00:00:01', 'IgnoreUnknown=1;K8S_POD_INFRA_CONTAINER_ID=\n',
      ])
    },
  },
  { name: 'env: hostile CNI_PATH', apply: (m) => { m.env.CNI_PATH = m.r.pick([':::', '/nonexistent', '../', 'relative', `${m.ctx.cniPath}:/nonexistent`, '/etc/passwd', 'x'.repeat(5000)]) } },

  // --- the JSON text
  { name: 'text: truncated', apply: (m) => { m.texts.push((s) => s.trimEnd().slice(0, m.r.int(0, s.trimEnd().length - 1))); m.textSure = true } },
  { name: 'text: trailing garbage', apply: (m) => { m.texts.push((s) => s + m.r.pick(['x', '}', ',', '{}', '\u0000', ']'])); m.textSure = true } },
  { name: 'text: not an object', apply: (m) => { m.texts.push(() => m.r.pick(['[]', '"x"', '1', 'null', 'true', '', ' ', '\n', '[{}]', deep(100000)])); m.textSure = true } },
  { name: 'text: BOM', apply: (m) => { m.texts.push((s) => `\ufeff${s}`); m.textSure = true } },
  { name: 'text: duplicate keys', apply: (m) => { m.texts.push((s) => `{"cniVersion":"0.1.0","name":"../x","type":"x",${s.slice(1)}`) } },
  { name: 'text: deep value', apply: (m) => { m.texts.push((s) => `{"deep":${deep(m.r.pick([50, 2000, 20000]))},${s.slice(1)}`) } },
  { name: 'text: padding', apply: (m) => { m.texts.push((s) => `${' \n\t'.repeat(m.r.int(1, 100000))}${s}`) } },
  { name: 'text: big unknown value', apply: (m) => { m.texts.push((s) => `{"zz":"${'y'.repeat(m.r.pick([5000, 300000]))}",${s.slice(1)}`) } },

  // --- the common config keys
  { name: 'conf: bad cniVersion', apply: (m) => { m.conf.cniVersion = m.r.pick(BAD_VERSIONS) } },
  { name: 'conf: bad name', apply: (m) => { m.conf.name = m.r.pick(BAD_NETWORK_NAMES) } },
  { name: 'conf: name wrong type', apply: (m) => { m.conf.name = m.r.pick(WRONG_TYPES.filter((v) => typeof v !== 'string')) } },
  { name: 'conf: no name', apply: (m) => { delete m.conf.name } },
  { name: 'conf: long name', apply: (m) => { m.conf.name = `${m.shard.network}${'n'.repeat(m.r.pick([200, 5000]))}` } },
  // not `name`: a hostile value can be a valid network name other shards use too (their own mutations cover it)
  { name: 'conf: hostile top-level value', apply: (m) => { setIn(m.target, m.r.pick(TOP_KEYS), m.r.pick(ANY_HOSTILE)) } },
  { name: 'conf: hostile unknown key', apply: (m) => { setIn(m.target, m.r.pick(HOSTILE_STRINGS), m.r.pick(ANY_HOSTILE)) } },
  { name: 'conf: __proto__', apply: (m) => { setIn(m.target, '__proto__', protoObject({ polluted: 'yes' })); setIn(m.target, m.r.pick(['runtimeConfig', 'args', 'prevResult', 'sysctl']), protoObject({ polluted: 1 })) } },
  { name: 'conf: prevResult of the wrong shape', apply: (m) => { m.conf.prevResult = m.r.pick(BAD_PREV_RESULTS) } },
  {
    name: 'conf: prevResult with hostile fields',
    apply: (m) => {
      const p = m.conf.prevResult
      if (!isObj(p)) return
      const where = m.r.pick(['iface', 'ip', 'route', 'version'])
      const iface = Array.isArray(p.interfaces) ? p.interfaces[m.r.int(0, p.interfaces.length - 1)] : undefined
      const ip = Array.isArray(p.ips) ? p.ips[0] : undefined
      if (where === 'iface' && isObj(iface)) iface[m.r.pick(['name', 'mac', 'sandbox'])] = m.r.pick(ANY_HOSTILE)
      if (where === 'ip' && isObj(ip)) ip[m.r.pick(['address', 'gateway', 'interface', 'version'])] = m.r.pick([...ANY_HOSTILE, ...BAD_CIDRS])
      if (where === 'route') p.routes = [{ dst: m.r.pick(BAD_CIDRS), gw: m.r.pick(BAD_IPS) }]
      if (where === 'version') p.cniVersion = m.r.pick(BAD_VERSIONS)
    },
  },
  { name: 'conf: runtimeConfig wrong shape', apply: (m) => { m.conf.runtimeConfig = m.r.pick([...WRONG_TYPES, { portMappings: m.r.pick(WRONG_TYPES) }, { bandwidth: m.r.pick(WRONG_TYPES) }]) } },
  { name: 'conf: args wrong shape', apply: (m) => { m.target.args = m.r.pick([...WRONG_TYPES, { cni: m.r.pick(WRONG_TYPES) }, { cni: { sysctl: m.r.pick(WRONG_TYPES), mtu: m.r.pick(HOSTILE_NUMBERS) } }]) } },
  { name: 'conf: GC list wrong shape', apply: (m) => { m.conf['cni.dev/valid-attachments'] = m.r.pick([...WRONG_TYPES, [{ containerID: 5, ifname: 'eth0' }], [{ containerID: '../x', ifname: '../y' }], [null]]) } },
  {
    name: 'conf: key case variants',
    apply: (m) => {
      const keys = Object.keys(m.target).filter((k) => !/dir$/i.test(k) && k !== '__proto__')
      const k = m.r.pick(keys.length > 0 ? keys : ['type'])
      const v = m.target[k]
      delete m.target[k]
      m.target[m.r.pick([k.toUpperCase(), k.toLowerCase(), k[0]?.toUpperCase() + k.slice(1)])] = v
    },
  },

  // --- tuning
  { name: 'tuning: bad sysctl key', types: ['tuning'], apply: (m) => { m.target.sysctl = { ...(m.target.sysctl ?? {}), [m.r.pick(BAD_SYSCTL_KEYS)]: '1' }; sure(m, ['ADD']) } },
  { name: 'tuning: bad sysctl value', types: ['tuning'], apply: (m) => { m.target.sysctl = { 'net.ipv4.conf.eth0.arp_filter': m.r.pick(BAD_SYSCTL_VALUES) } } },
  { name: 'tuning: sysctl wrong type', types: ['tuning'], apply: (m) => { m.target.sysctl = m.r.pick(WRONG_TYPES.filter((v) => v !== null && !(typeof v === 'object' && !Array.isArray(v)))) } },
  { name: 'tuning: hostile mtu', types: ['tuning'], apply: (m) => { m.target[m.r.pick(['mtu', 'txQLen'])] = m.r.pick([...HOSTILE_NUMBERS, '1500', null]) } },
  { name: 'tuning: bad mac', types: ['tuning'], apply: (m) => { m.target.mac = m.r.pick(BAD_MACS) } },
  { name: 'tuning: flags wrong type', types: ['tuning'], apply: (m) => { m.target[m.r.pick(['promisc', 'allmulti'])] = m.r.pick(['true', 1, 'yes', [], {}]); sure(m, ['ADD']) } },
  { name: 'tuning: args.cni overrides', types: ['tuning'], apply: (m) => { m.target.args = { cni: { [m.r.pick(['mtu', 'mac', 'sysctl', 'promisc', 'txQLen'])]: m.r.pick(ANY_HOSTILE) } } } },

  // --- portmap
  {
    name: 'portmap: bad port',
    types: ['portmap', 'chain'],
    apply: (m) => {
      const maps = portMappings(m.r, m.shard, m.n)
      ;(maps[0] as Json)[m.r.pick(['hostPort', 'containerPort'])] = m.r.pick([0, -1, 65536, 70000, 1.5, '80', raw('1e400'), 2 ** 53, null, -65535, raw('-0')])
      m.conf.runtimeConfig = { ...(m.conf.runtimeConfig ?? {}), portMappings: maps }
      if (m.targetType === 'portmap') sure(m, ['ADD'])
    },
  },
  {
    name: 'portmap: bad protocol or hostIP',
    types: ['portmap', 'chain'],
    apply: (m) => {
      const maps = portMappings(m.r, m.shard, m.n)
      if (m.r.bool()) (maps[0] as Json).protocol = m.r.pick(BAD_PROTOCOLS)
      else (maps[0] as Json).hostIP = m.r.pick([...BAD_IPS, ...ODD_IPS, ...HOSTILE_STRINGS])
      m.conf.runtimeConfig = { ...(m.conf.runtimeConfig ?? {}), portMappings: maps }
    },
  },
  {
    name: 'portmap: conflicting or many mappings',
    types: ['portmap', 'chain'],
    apply: (m) => {
      const base = m.shard.hostPortBase
      const maps = m.r.bool()
        ? [{ hostPort: base, containerPort: 80 }, { hostPort: base, containerPort: 81 }]
        : Array.from({ length: m.r.pick([50, 400]) }, (_, i) => ({ hostPort: base + (i % 100), containerPort: 1 + i, protocol: 'udp' }))
      m.conf.runtimeConfig = { ...(m.conf.runtimeConfig ?? {}), portMappings: maps }
    },
  },
  { name: 'portmap: hostile conditions', types: ['portmap'], apply: (m) => { m.target[m.r.pick(['conditionsV4', 'conditionsV6'])] = m.r.pick([[m.r.pick(HOSTILE_STRINGS)], ['ip saddr', m.r.pick(BAD_CIDRS)], ['-s 10.0.0.0/8 -j ACCEPT'], ['meta mark', 'x'], ['ip saddr 1.2.3.4', '; flush ruleset'], ['iifname', '"; drop'], 'ip saddr 1.2.3.4', [1], ['tcp dport 0'], ['tcp dport 65536'], ['th dport 5-3'], ['iifname', 'x'.repeat(5000)], ['meta mark 99999999999']]) } },
  { name: 'portmap: hostile mark and chain', types: ['portmap'], apply: (m) => { m.target[m.r.pick(['markMasqBit', 'externalSetMarkChain', 'snat', 'masqAll', 'backend'])] = m.r.pick(ANY_HOSTILE) } },
  { name: 'portmap: bad excludeDestinations', types: ['portmap'], apply: (m) => { m.target.excludeDestinations = [m.r.pick(BAD_CIDRS)]; sure(m, ['ADD']) } },
  { name: 'portmap: bad stateDir', types: ['portmap', 'firewall'], apply: (m) => { m.target.stateDir = m.r.pick(BAD_DIRS); sure(m, ['ADD']) } },

  // --- bandwidth
  { name: 'bandwidth: hostile rates', types: ['bandwidth'], apply: (m) => { m.target[m.r.pick(['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'])] = m.r.pick([...HOSTILE_NUMBERS, '10M', null]) } },
  { name: 'bandwidth: runtimeConfig.bandwidth hostile', types: ['bandwidth', 'chain'], apply: (m) => { m.conf.runtimeConfig = { bandwidth: { [m.r.pick(['ingressRate', 'IngressBurst', 'egressRate', 'EgressBurst'])]: m.r.pick(ANY_HOSTILE) } } } },
  { name: 'bandwidth: hostile annotations', types: ['bandwidth', 'chain'], apply: (m) => { m.conf.runtimeConfig = { 'io.kubernetes.cri.pod-annotations': m.r.pick([{ 'kubernetes.io/ingress-bandwidth': m.r.pick(BAD_QUANTITIES) }, { 'kubernetes.io/egress-bandwidth': m.r.pick(BAD_QUANTITIES) }, m.r.pick(WRONG_TYPES), protoObject({ x: 1 }), { [m.r.pick(HOSTILE_STRINGS)]: m.r.pick(HOSTILE_STRINGS) }]) } } },
  { name: 'tuning/bandwidth: bad dataDir', types: ['tuning', 'bandwidth'], apply: (m) => { m.target.dataDir = m.r.pick(BAD_DIRS); sure(m, ['ADD']) } },

  // --- firewall
  { name: 'firewall: hostile policy or backend', types: ['firewall'], apply: (m) => { m.target[m.r.pick(['ingressPolicy', 'backend', 'iptablesAdminChainName', 'firewalldZone', 'acceptMarkBit'])] = m.r.pick(ANY_HOSTILE) } },
  { name: 'firewall: hostile bridge name', types: ['firewall', 'chain'], apply: (m) => { const first = isObj(m.conf.prevResult) && Array.isArray(m.conf.prevResult.interfaces) ? m.conf.prevResult.interfaces[0] : undefined; if (isObj(first)) first.name = m.r.pick([...BAD_IFNAMES, 'a"b', 'a\\b', 'br;drop', '{x}', 'x*']) } },

  // --- chain
  { name: 'chain: bad plugins', types: ['chain'], apply: (m) => { m.conf.plugins = m.r.pick([[], {}, 'x', [1], [null], [{}], [{ type: '../tuning' }], [{ type: '/bin/sh' }], [{ type: 'nonexistent' }], [{ type: '' }], [{ type: 5 }], [{ type: 'tuning', dataDir: m.shard.dirs.tuning, capabilities: 'x' }], [{ type: '__proto__' }], [{ type: 'constructor' }]]); sure(m, ['ADD']) } },
  { name: 'chain: nested or many', types: ['chain'], apply: (m) => { const subs = m.conf.plugins; m.conf.plugins = m.r.bool() || !Array.isArray(subs) ? [{ type: 'chain', plugins: subs }] : Array.from({ length: 40 }, () => subs[0]) } },
]

const weightedVerb = (r: Rng): FuzzVerb => {
  const x = r.next()
  return x < 0.4 ? 'ADD' : x < 0.6 ? 'DEL' : x < 0.72 ? 'CHECK' : x < 0.84 ? 'GC' : x < 0.92 ? 'STATUS' : 'VERSION'
}

/** caseRng: case n's own stream */
const caseRng = (seed: number, n: number): Rng => rng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0)

/** generateCase builds case n of a run with `seed`. `binaryEvery`: every k-th case runs the real binary. */
export const generateCase = (ctx: FuzzContext, seed: number, n: number, binaryEvery: number): FuzzCase => {
  const r = caseRng(seed, n)
  const shard = ctx.shards[n % ctx.shards.length] as Shard
  const plugin: PluginName = r.pick(PLUGINS)
  const verb = weightedVerb(r)
  const valid = r.bool(0.2)
  const version = r.pick(valid ? versionsFor(verb) : VERSIONS)
  const conf = validConf(r, plugin, verb, version, shard, n)
  const env: Record<string, string> = {
    CNI_COMMAND: verb, CNI_CONTAINERID: `${ctx.marker}c${n}`, CNI_NETNS: shard.podPath, CNI_IFNAME: shard.ifname, CNI_PATH: ctx.cniPath,
  }
  if (verb === 'DEL' && r.bool(0.2)) delete env.CNI_NETNS
  if (r.bool(0.2)) env.CNI_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=fuzz;K8S_POD_NAME=p'
  const labels: string[] = []
  const m: MutCtx = { r, n, ctx, shard, verb, conf, target: conf, targetType: plugin, env, sure: new Set(), texts: [], textSure: false }
  if (!valid) {
    if (!versionsFor(verb).includes(version)) labels.push(`version ${version} has no ${verb}`)
    const count = r.int(1, 3)
    for (let i = 0; i < count; i++) {
      // in the chain plugin, most mutations go to one sub-plugin's entry
      const subs = plugin === 'chain' && Array.isArray(conf.plugins) ? (conf.plugins as Json[]).filter((p) => p && typeof p === 'object') : []
      const sub = subs.length > 0 && r.bool(0.6) ? r.pick(subs) : undefined
      m.target = sub ?? conf
      m.targetType = sub ? String(sub.type) : plugin
      const options = MUTATIONS.filter((x) => (!x.types || x.types.includes(m.targetType)) && !(m.texts.length > 0 && x.name.startsWith('text:')))
      const mut = r.pick(options)
      // a sure failure of a sub-plugin holds for the chain's ADD too (the sub-plugin's error is the chain's)
      mut.apply(m)
      labels.push(sub ? `${mut.name} (sub-plugin ${m.targetType})` : mut.name)
    }
  }
  let stdin = serialize(conf)
  for (const f of m.texts) stdin = f(stdin)
  const configMutations = labels.filter((l) => !l.startsWith('text:') && !l.startsWith('env:') && !l.startsWith('version ')).length
  const mustFail = new Set([...(configMutations === 1 ? m.sure : []), ...(m.textSure ? ALL_BUT_VERSION : []), ...sureFromFinal(env, conf, verb)])
  // no CNI_COMMAND wins over everything: the dispatcher prints its about line and stops
  const expect: Expectation = !env.CNI_COMMAND ? 'about' : mustFail.has(verb) ? 'error' : labels.length === 0 ? validExpect(verb) : 'any'
  return {
    n,
    shard: shard.index,
    plugin,
    // a real runtime cannot pass a NUL in the environment (execve): such cases run in process
    // every binaryEvery-th case of each shard (so every runner starts binaries)
    mode: binaryEvery > 0 && Math.floor(n / ctx.shards.length) % binaryEvery === binaryEvery - 1 && !Object.values(env).some((v) => v.includes('\0')) ? 'binary' : 'inproc',
    verb,
    call: { env, stdin },
    expect,
    labels,
    cleanup: verb === 'ADD',
    check: labels.length === 0 && verb === 'ADD' && versionsFor('CHECK').includes(version),
    readd: labels.length === 0 && verb === 'ADD' && r.bool(0.25),
    delTwice: labels.length === 0 && verb === 'ADD' && r.bool(0.5),
  }
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/**
 * sureFromFinal: the verbs that must fail given the final environment and config, whatever the
 * order of the mutations (libcni's rules for names, the spec's for versions and variables).
 */
const sureFromFinal = (env: Record<string, string>, conf: Json, verb: FuzzVerb): FuzzVerb[] => {
  const out: FuzzVerb[] = []
  const command = env.CNI_COMMAND ?? ''
  if (command !== '' && !(FUZZ_VERBS as readonly string[]).includes(command)) out.push(...FUZZ_VERBS)
  const id = env.CNI_CONTAINERID ?? ''
  if (id === '' || !NAME_RE.test(id)) out.push(...ATTACHMENT_VERBS)
  const ifname = env.CNI_IFNAME ?? ''
  if (ifname === '' || BAD_IFNAMES.includes(ifname)) out.push(...ATTACHMENT_VERBS)
  const netns = env.CNI_NETNS ?? ''
  if (netns === '' || BAD_NETNS.includes(netns)) out.push('ADD', 'CHECK')
  if ((env.CNI_PATH ?? '') === '') out.push(...ALL_BUT_VERSION)
  if (typeof conf.name !== 'string' || !NAME_RE.test(conf.name)) out.push(...ALL_BUT_VERSION)
  if (typeof conf.cniVersion !== 'string' || !(VERSIONS as readonly string[]).includes(conf.cniVersion)) out.push(...ALL_BUT_VERSION)
  else if (!versionsFor(verb).includes(conf.cniVersion)) out.push(verb)
  return out
}

/** A valid call: ADD, DEL, GC, STATUS and VERSION succeed; CHECK of an attachment never added may fail. */
const validExpect = (verb: FuzzVerb): Expectation => (verb === 'CHECK' ? 'any' : 'ok')

/** generateCases builds cases 0..count-1. */
export const generateCases = (ctx: FuzzContext, seed: number, count: number, binaryEvery: number): FuzzCase[] =>
  Array.from({ length: count }, (_, n) => generateCase(ctx, seed, n, binaryEvery))
