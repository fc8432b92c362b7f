// The network the soak, crash and GC tests run: Debian's bridge + host-local, then all four meta
// plugins (tuning with a link setting and two sysctls, portmap and bandwidth through their
// capabilities, firewall on the node's automatic backend), their state dirs under the topology's
// temp dir; flat (one binary per plugin) or inside the `chain` plugin.
import { join } from 'node:path'
import { bridgeConflist, writeConf } from './cni.js'
import type { HostState } from './node-state.js'
import type { Topology } from './types.js'

export interface MetaDirs {
  root: string
  tuning: string
  portmap: string
  bandwidth: string
  firewall: string
}

export const metaDirs = (topo: Topology): MetaDirs => {
  const root = join(topo.dir, 'state')
  return { root, tuning: join(root, 'tuning'), portmap: join(root, 'portmap'), bandwidth: join(root, 'bandwidth'), firewall: join(root, 'firewall') }
}

/** the four meta plugins' conflist entries */
export const metaPlugins = (dirs: MetaDirs): object[] => [
  { type: 'tuning', dataDir: dirs.tuning, mtu: 1400, sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1', 'net.core.somaxconn': '1024' } },
  { type: 'portmap', capabilities: { portMappings: true }, stateDir: dirs.portmap },
  { type: 'bandwidth', capabilities: { bandwidth: true }, dataDir: dirs.bandwidth },
  { type: 'firewall', stateDir: dirs.firewall },
]

export interface MetaNetOptions {
  name: string
  subnet: string
  bridge: string
  /** the meta plugins inside one `chain` plugin entry */
  chain?: boolean
  /** appended after the meta plugins (e.g. a failing test plugin) */
  tail?: object[]
  cniVersion?: string
}

/** writeMetaNet writes the conflist to topo.dir/<name>.conflist and returns its path. */
export const writeMetaNet = (topo: Topology, dirs: MetaDirs, opts: MetaNetOptions, file = `${opts.name}.conflist`): Promise<string> => {
  const metas = metaPlugins(dirs)
  const plugins = opts.chain
    ? [{ type: 'chain', capabilities: { portMappings: true, bandwidth: true }, plugins: [...metas, ...(opts.tail ?? [])] }]
    : [...metas, ...(opts.tail ?? [])]
  return writeConf(topo, file, bridgeConflist(topo, { name: opts.name, subnet: opts.subnet, bridge: opts.bridge, plugins, ...(opts.cniVersion ? { cniVersion: opts.cniVersion } : {}) }))
}

/** capability args: a TCP and a UDP host port to port 80, and shaping both ways */
export const metaCapArgs = (hostPort: number) => ({
  portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }, { hostPort, containerPort: 80, protocol: 'udp' }],
  bandwidth: { ingressRate: 50_000_000, ingressBurst: 500_000, egressRate: 50_000_000, egressBurst: 500_000 },
})

/** host-local's own bookkeeping (last_reserved_ip.*, lock) changes with every allocation: left out */
export const withoutIpamBookkeeping = (s: HostState): HostState => ({
  ...s,
  files: Object.fromEntries(Object.entries(s.files).filter(([p]) => !/\/ipam\/[^/]+\/(last_reserved_ip\.\d+|lock)$/.test(p))),
})
