// Names of everything portmap owns in nftables, and the owner record it writes in rule comments.
// The layout is API (see README.md): one inet table, versioned, with fixed chain and map names.
import { isIPv4, isIPv6 } from 'node:net'
import type { TableRef } from '../../src/nft/build.js'
import { attachmentChainName, isAttachmentChainName } from '../../src/nft/names.js'
import { cutComment, decodeField, encodeField } from '../../src/nft/comment.js'

/**
 * The one table portmap writes. The version is in the name: nft 1.0.6 cannot store table comments,
 * and v2 changed the dispatch maps (per-family wildcard maps, shared per-port chains for specific
 * host IPs). v1 leftovers are removed by GC and by `cni-chain uninstall --purge`.
 */
export const TABLE: TableRef = { family: 'inet', table: 'cni_portmap_v2' }

/** The v1 table (anyip/hostip4/hostip6 maps), read only by GC to remove what an older version left. */
export const LEGACY_TABLE: TableRef = { family: 'inet', table: 'cni_portmap_v1' }
export const LEGACY_MAPS = ['anyip', 'hostip4', 'hostip6'] as const

export const CHAIN = {
  prerouting: 'prerouting',
  output: 'output',
  dispatch: 'dispatch',
  /** where a port held by specific host IPs goes: `ip daddr . proto . port vmap @hostip4` */
  specific4: 'specific4',
  specific6: 'specific6',
  raw: 'raw-prerouting',
} as const

/**
 * Verdict maps. ports4/ports6 are keyed by (protocol . port) per family: a wildcard owner's element
 * points at its pod chain, every specific holder of that port adds the same `goto specificN`
 * element, so a wildcard and a specific collide (EEXIST) in either order. hostip4/hostip6 hold the
 * specific owners (a second owner of the same address collides there).
 */
export const MAP = { ports4: 'ports4', ports6: 'ports6', v4: 'hostip4', v6: 'hostip6' } as const

/**
 * Destination sets checked before dispatch: exclude4/6 belong to the admin (never written by the
 * plugin: `nft add element inet cni_portmap_v2 exclude4 { 10.96.0.0/12 }`), ipvs4/6 hold the
 * addresses on kube-ipvs0, refreshed by every ADD with host ports and by GC.
 */
export const SET = { exclude4: 'exclude4', exclude6: 'exclude6', ipvs4: 'ipvs4', ipvs6: 'ipvs6' } as const

/** The device kube-proxy's IPVS mode binds Service VIPs to. */
export const IPVS_DEVICE = 'kube-ipvs0'

/** Priorities (numeric: JSON has no named priorities). dstnat = -100, srcnat = 100, raw = -300. */
export const PRIO = { dstnat: -100, srcnat: 100, raw: -300 } as const

/** masqChainName: one postrouting base chain per mark bit, so networks with different bits coexist. */
export const masqChainName = (bit: number): string => `masq-b${bit}`

/**
 * podChainName is the attachment's chain: `pm-` + base32(sha256(network NUL containerID NUL ifname))[:16].
 * Deterministic, so DEL, CHECK and GC find it without any listing.
 */
export const podChainName = (network: string, containerId: string, ifname: string): string =>
  attachmentChainName('pm', network, containerId, ifname)

/** isPodChainName tells whether a chain name is one of ours. */
export const isPodChainName = (name: string): boolean => isAttachmentChainName('pm', name)

export type Protocol = 'tcp' | 'udp' | 'sctp'

/**
 * A host-side key. hostIP absent: every address of both families; "0.0.0.0" / "::": every address
 * of that family; anything else: that one address (a "specific" key).
 */
export interface HostKey {
  protocol: Protocol
  hostPort: number
  hostIP?: string
  /** family of hostIP (absent with hostIP) */
  hostFamily?: 4 | 6
}

/** isSpecific: the key names one address (not a wildcard). */
export const isSpecific = <K extends HostKey>(k: K): k is K & { hostIP: string } => k.hostIP !== undefined && k.hostIP !== '0.0.0.0' && k.hostIP !== '::'

/** keyFamilies: the address families a key covers. */
export const keyFamilies = (k: HostKey): (4 | 6)[] => (k.hostFamily === undefined ? [4, 6] : [k.hostFamily])

/** keyString renders a key for comments and messages: tcp/8080, tcp/8080@10.0.0.1, tcp/8080@[fd00::1], tcp/8080@0.0.0.0. */
export const keyString = (k: HostKey): string =>
  `${k.protocol}/${k.hostPort}${k.hostIP === undefined ? '' : k.hostFamily === 6 ? `@[${k.hostIP}]` : `@${k.hostIP}`}`

/** parseKeyString reads keyString's output back; undefined when it is not one. */
export const parseKeyString = (s: string): HostKey | undefined => {
  const m = /^(tcp|udp|sctp)\/(\d{1,5})(?:@(?:\[([0-9a-f:.]+)\]|([0-9.]+)))?$/.exec(s)
  if (!m) return undefined
  const port = Number(m[2])
  if (port < 1 || port > 65535) return undefined
  const key: HostKey = { protocol: m[1] as Protocol, hostPort: port }
  if (m[3] !== undefined) return isIPv6(m[3]) ? { ...key, hostIP: m[3], hostFamily: 6 } : undefined
  if (m[4] !== undefined) return isIPv4(m[4]) ? { ...key, hostIP: m[4], hostFamily: 4 } : undefined
  return key
}

/** portsMap / hostMap / specificChain: the per-family objects. */
export const portsMap = (fam: 4 | 6): string => (fam === 4 ? MAP.ports4 : MAP.ports6)
export const hostMap = (fam: 4 | 6): string => (fam === 4 ? MAP.v4 : MAP.v6)
export const specificChain = (fam: 4 | 6): string => (fam === 4 ? CHAIN.specific4 : CHAIN.specific6)

/**
 * sharedChainName: the per-port chain of the specific holders of (family, protocol, port), e.g.
 * `sp4-tcp-8080`. It stays empty; every holder's pod chain jumps to it, so the kernel counts the
 * holders: deleting it fails (EBUSY) while one remains, which is how the last holder's DEL knows it
 * may also remove the port's `goto specificN` element.
 */
export const sharedChainName = (fam: 4 | 6, protocol: Protocol, port: number): string => `sp${fam}-${protocol}-${port}`

/** parseSharedChainName reads sharedChainName's output back. */
export const parseSharedChainName = (name: string): { fam: 4 | 6; protocol: Protocol; port: number } | undefined => {
  const m = /^sp([46])-(tcp|udp|sctp)-(\d{1,5})$/.exec(name)
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined
  return { fam: Number(m[1]) as 4 | 6, protocol: m[2] as Protocol, port: Number(m[3]) }
}

/** sharedChainOf: the shared chain a specific key's holder references (undefined for wildcards). */
export const sharedChainOf = (k: HostKey): string | undefined =>
  isSpecific(k) ? sharedChainName(k.hostFamily as 4 | 6, k.protocol, k.hostPort) : undefined

/** A map element an attachment adds for a key: the key parts and the chain it must point at. */
export interface Claim {
  map: string
  key: (string | number)[]
  target: string
}

/**
 * claimsOf: the elements a key needs. A wildcard: `proto . port : goto POD` in the ports map of
 * each family it covers. A specific address: `proto . port : goto specificN` (shared by all holders
 * of the port) and `addr . proto . port : goto POD`.
 */
export const claimsOf = (k: HostKey, podChain: string): Claim[] => {
  if (!isSpecific(k)) return keyFamilies(k).map((fam) => ({ map: portsMap(fam), key: [k.protocol, k.hostPort], target: podChain }))
  const fam = k.hostFamily as 4 | 6
  return [
    { map: portsMap(fam), key: [k.protocol, k.hostPort], target: specificChain(fam) },
    { map: hostMap(fam), key: [k.hostIP as string, k.protocol, k.hostPort], target: podChain },
  ]
}

/** coversKey: do two keys overlap (Kubernetes' NodePorts rule)? Same protocol and port, and a wildcard of a shared family or the same address. */
export const keysOverlap = (a: HostKey, b: HostKey): boolean => {
  if (a.protocol !== b.protocol || a.hostPort !== b.hostPort) return false
  if (!keyFamilies(a).some((f) => keyFamilies(b).includes(f))) return false
  return !isSpecific(a) || !isSpecific(b) || a.hostIP === b.hostIP
}

/** The owner of a pod chain, as written in its rule comments. */
export interface Owner {
  network: string
  containerId: string
  ifname: string
}

// the owner fields are encoded by src/nft/comment.ts (shared with the firewall); re-exported for tests
export { decodeField, encodeField }

/**
 * ownerComment is the comment of a DNAT rule: `k=KEY if=IF net=NET cid=CID`, owner fields
 * percent-encoded (so the comment is always [A-Za-z0-9._%/=@:[] -]), cut to 128 bytes. The key
 * comes first so it is never cut; the container id last (it is informational: the chain name is
 * the identity).
 */
export const ownerComment = (key: HostKey, o: Owner): string => {
  return cutComment(`k=${keyString(key)} if=${encodeField(o.ifname)} net=${encodeField(o.network)} cid=${encodeField(o.containerId)}`)
}

/** A parsed comment: the key, and the owner fields that survived truncation. */
export interface ParsedComment {
  key?: HostKey
  ifname?: string
  /** present only when followed by ` cid=` (so known to be complete) */
  network?: string
  containerId?: string
}

/** parseOwnerComment reads ownerComment's output (possibly truncated), decoding the owner fields. */
export const parseOwnerComment = (comment: string): ParsedComment => {
  const out: ParsedComment = {}
  const m = /^k=(\S+) if=(\S+) net=(\S+) cid=(\S*)$/.exec(comment)
  if (m) {
    const key = parseKeyString(m[1] as string)
    if (key) out.key = key
    out.ifname = decodeField(m[2] as string)
    out.network = decodeField(m[3] as string)
    out.containerId = decodeField(m[4] as string)
    return out
  }
  const k = /^k=(\S+)/.exec(comment)
  if (k) {
    const key = parseKeyString(k[1] as string)
    if (key) out.key = key
  }
  const i = /^k=\S+ if=(\S+) /.exec(comment)
  if (i) out.ifname = decodeField(i[1] as string)
  return out
}
