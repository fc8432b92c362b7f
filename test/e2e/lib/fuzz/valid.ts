// Valid calls for every plugin and verb on a shard's pod: the base every fuzz case starts from
// (a valid case is sent as it is; a hostile one is mutated first). All state dirs are the shard's.
import type { Rng } from '../../../lib/rng.js'
import { POD_SYSCTLS } from './hostile.js'
import type { FuzzVerb, PluginName, Shard } from './types.js'

type Json = Record<string, any>

export const VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const

/** versionsFor: the versions at which `verb` exists (CHECK from 0.4.0, GC and STATUS from 1.1.0). */
export const versionsFor = (verb: FuzzVerb): readonly string[] =>
  verb === 'CHECK' ? ['0.4.0', '1.0.0', '1.1.0'] : verb === 'GC' || verb === 'STATUS' ? ['1.1.0'] : VERSIONS

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/** a locally administered unicast MAC */
export const randomMac = (r: Rng): string => [(r.int(0, 255) & 0xfc) | 0x02, ...Array.from({ length: 5 }, () => r.int(0, 255))].map(hex2).join(':')

/** prevResult describing the shard's pod in `version`'s shape (dual stack or IPv4 only). */
export const prevResultOf = (shard: Shard, version: string, dual: boolean): Json => {
  const legacy = !version.startsWith('1.')
  const ip = (family: 4 | 6) => {
    const a = family === 4 ? shard.v4 : shard.v6
    return { ...(legacy ? { version: String(family) } : {}), address: `${a.addr}/${a.len}`, gateway: a.gateway, interface: 2 }
  }
  return {
    cniVersion: version,
    interfaces: [
      { name: shard.bridge, mac: shard.macs.bridge },
      { name: shard.hostVeth, mac: shard.macs.hostVeth },
      { name: shard.ifname, mac: shard.macs.pod, sandbox: shard.podPath },
    ],
    ips: dual ? [ip(4), ip(6)] : [ip(4)],
    routes: dual ? [{ dst: '0.0.0.0/0' }, { dst: '::/0' }] : [{ dst: '0.0.0.0/0' }],
    dns: {},
  }
}

const tuning = (r: Rng, shard: Shard): Json => {
  const conf: Json = { type: 'tuning', dataDir: shard.dirs.tuning }
  const keys = r.subset(Object.keys(POD_SYSCTLS), 0.35)
  if (keys.length > 0) conf.sysctl = Object.fromEntries(keys.map((k) => [k, r.pick(POD_SYSCTLS[k] as string[])]))
  if (r.bool(0.3)) conf.mtu = r.int(1280, 1500)
  if (r.bool(0.2)) conf.txQLen = r.int(100, 2000)
  if (r.bool(0.2)) conf.promisc = r.bool()
  if (r.bool(0.2)) conf.allmulti = r.bool()
  if (r.bool(0.2)) conf.mac = randomMac(r)
  return conf
}

/** portMappings on the shard's host ports, distinct per case */
export const portMappings = (r: Rng, shard: Shard, n: number): Json[] => {
  const count = r.int(1, 3)
  return Array.from({ length: count }, (_, i) => ({
    hostPort: shard.hostPortBase + ((n * 3 + i) % 100),
    containerPort: r.pick([80, 8080, 53, 65535, 1]),
    protocol: r.pick(['tcp', 'udp', 'sctp', 'TCP']),
    ...(r.bool(0.4) ? { hostIP: r.pick(['', '0.0.0.0', '192.168.250.1', '127.0.0.1', '::', 'fd00:250::1']) } : {}),
  }))
}

const portmap = (r: Rng, shard: Shard): Json => ({
  type: 'portmap',
  capabilities: { portMappings: true },
  stateDir: shard.dirs.portmap,
  ...(r.bool(0.2) ? { snat: r.bool() } : {}),
  ...(r.bool(0.2) ? { masqAll: r.bool() } : {}),
  ...(r.bool(0.15) ? { conditionsV4: [r.pick(['ip saddr 10.0.0.0/8', 'th dport != 22', 'iifname cc-client0', 'meta mark != 1'])] } : {}),
  ...(r.bool(0.15) ? { conditionsV6: [r.pick(['ip6 saddr fd00::/8', 'oifname != lo'])] } : {}),
  ...(r.bool(0.15) ? { excludeDestinations: ['10.96.0.0/12', 'fd00:96::/108'] } : {}),
})

/** rates: a bandwidth entry shaping one or both directions */
export const rates = (r: Rng): Json => {
  const which = r.pick(['in', 'out', 'both'])
  const dir = (name: string): Json => ({ [`${name}Rate`]: r.int(1, 1000) * 1_000_000, [`${name}Burst`]: r.int(10, 10_000) * 1_000 })
  return { ...(which !== 'out' ? dir('ingress') : {}), ...(which !== 'in' ? dir('egress') : {}) }
}

const bandwidth = (r: Rng, shard: Shard): Json => {
  const conf: Json = { type: 'bandwidth', dataDir: shard.dirs.bandwidth, capabilities: { bandwidth: true, 'io.kubernetes.cri.pod-annotations': true } }
  return r.bool(0.5) ? { ...conf, ...rates(r) } : conf
}

const firewall = (r: Rng, shard: Shard): Json => ({
  type: 'firewall',
  stateDir: shard.dirs.firewall,
  ...(r.bool(0.6) ? { ingressPolicy: r.pick(['open', 'same-bridge', 'isolated', '']) } : {}),
  ...(r.bool(0.5) ? { backend: r.pick(['', 'nftables', 'iptables']) } : {}),
})

const BUILDERS = { tuning, portmap, bandwidth, firewall } as const

/** runtimeConfig the runtime would pass for the plugin's capabilities */
const runtimeConfig = (r: Rng, shard: Shard, n: number, entries: Json[]): Json => {
  const rc: Json = {}
  if (entries.some((e) => e.type === 'portmap')) rc.portMappings = portMappings(r, shard, n)
  const bw = entries.find((e) => e.type === 'bandwidth')
  if (bw && bw.ingressRate === undefined && bw.egressRate === undefined) {
    if (r.bool(0.7)) rc.bandwidth = rates(r)
    else rc['io.kubernetes.cri.pod-annotations'] = { 'kubernetes.io/ingress-bandwidth': r.pick(['10M', '1G', '500k']), 'kubernetes.io/egress-bandwidth': r.pick(['20M', '2G']) }
  }
  return rc
}

/** pluginEntry: one plugin's own keys (what a conflist entry holds). */
export const pluginEntry = (r: Rng, plugin: Exclude<PluginName, 'chain'>, shard: Shard): Json => BUILDERS[plugin](r, shard)

/**
 * validConf: the stdin of a valid `verb` call of `plugin` on the shard's pod at `version`: name,
 * cniVersion, the plugin's keys, runtimeConfig as libcni builds it, prevResult (ADD, CHECK, and
 * some DELs) and the GC list (GC).
 */
export const validConf = (r: Rng, plugin: PluginName, verb: FuzzVerb, version: string, shard: Shard, n: number): Json => {
  let conf: Json
  if (plugin === 'chain') {
    const types = r.subset(['tuning', 'portmap', 'bandwidth', 'firewall'] as const, 0.6)
    const subs = (types.length > 0 ? types : ['tuning' as const]).map((t) => pluginEntry(r, t, shard))
    conf = { type: 'chain', capabilities: { portMappings: true, bandwidth: true, 'io.kubernetes.cri.pod-annotations': true }, plugins: subs, runtimeConfig: runtimeConfig(r, shard, n, subs) }
  } else {
    const entry = pluginEntry(r, plugin, shard)
    const rc = runtimeConfig(r, shard, n, [entry])
    conf = { ...entry, ...(Object.keys(rc).length > 0 ? { runtimeConfig: rc } : {}) }
  }
  conf = { cniVersion: version, name: shard.network, ...conf }
  if (verb === 'ADD' || verb === 'CHECK' || (verb === 'DEL' && r.bool(0.5))) conf.prevResult = prevResultOf(shard, version, r.bool(0.6))
  if (verb === 'GC' && r.bool(0.8)) conf['cni.dev/valid-attachments'] = r.bool() ? [] : [{ containerID: `${shard.network}-keep`, ifname: 'eth0' }]
  return conf
}

/**
 * warmupConfs: ADDs that create what stays after the last pod goes (the nft tables of portmap and
 * firewall, firewall's static iptables rules, the state dirs' sub-directories), made before the
 * baseline is read: the chain with all four plugins (iptables backend), firewall alone on nftables.
 */
export const warmupConfs = (shard: Shard): Json[] => {
  const prevResult = prevResultOf(shard, '1.1.0', true)
  const base = { cniVersion: '1.1.0', name: shard.network }
  return [
    {
      ...base, type: 'chain', capabilities: { portMappings: true, bandwidth: true },
      plugins: [
        { type: 'tuning', dataDir: shard.dirs.tuning, sysctl: { 'net.core.somaxconn': '1024' } },
        { type: 'portmap', capabilities: { portMappings: true }, stateDir: shard.dirs.portmap },
        { type: 'bandwidth', capabilities: { bandwidth: true }, dataDir: shard.dirs.bandwidth },
        { type: 'firewall', stateDir: shard.dirs.firewall, backend: 'iptables', ingressPolicy: 'isolated' },
      ],
      runtimeConfig: {
        portMappings: [{ hostPort: shard.hostPortBase, containerPort: 80, protocol: 'tcp' }],
        bandwidth: { ingressRate: 1e6, ingressBurst: 1e5, egressRate: 1e6, egressBurst: 1e5 },
      },
      prevResult,
    },
    { ...base, type: 'firewall', stateDir: shard.dirs.firewall, backend: 'nftables', prevResult },
  ]
}
