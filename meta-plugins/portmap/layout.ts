// Names of everything portmap owns in nftables, and the owner record it writes in rule comments.
// The layout is API (see README.md): one inet table, versioned, with fixed chain and map names.
import { createHash } from 'node:crypto'
import type { TableRef } from '../../src/nft/build.js'

/** The one table portmap writes. The version is in the name: nft 1.0.6 cannot store table comments. */
export const TABLE: TableRef = { family: 'inet', table: 'cni_portmap_v1' }

export const CHAIN = {
  prerouting: 'prerouting',
  output: 'output',
  dispatch: 'dispatch',
  raw: 'raw-prerouting',
} as const

/** The three dispatch maps: wildcard hostIP, IPv4 hostIP, IPv6 hostIP. */
export const MAP = { any: 'anyip', v4: 'hostip4', v6: 'hostip6' } as const

/** Priorities (numeric: JSON has no named priorities). dstnat = -100, srcnat = 100, raw = -300. */
export const PRIO = { dstnat: -100, srcnat: 100, raw: -300 } as const

/** masqChainName: one postrouting base chain per mark bit, so networks with different bits coexist. */
export const masqChainName = (bit: number): string => `masq-b${bit}`

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const base32 = (buf: Buffer): string => {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of buf) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/**
 * podChainName is the attachment's chain: `pm-` + base32(sha256(network NUL containerID NUL ifname))[:16].
 * Deterministic, so DEL, CHECK and GC find it without any listing.
 */
export const podChainName = (network: string, containerId: string, ifname: string): string =>
  `pm-${base32(createHash('sha256').update(`${network}\0${containerId}\0${ifname}`).digest()).slice(0, 16)}`

/** isPodChainName tells whether a chain name is one of ours. */
export const isPodChainName = (name: string): boolean => /^pm-[a-z2-7]{16}$/.test(name)

export type Protocol = 'tcp' | 'udp' | 'sctp'

/** A host-side key: what a map element is keyed by. hostIP absent = any address. */
export interface HostKey {
  protocol: Protocol
  hostPort: number
  hostIP?: string
  /** family of hostIP (absent with hostIP) */
  hostFamily?: 4 | 6
}

/** keyString renders a key for comments and messages: tcp/8080, tcp/8080@10.0.0.1, tcp/8080@[fd00::1]. */
export const keyString = (k: HostKey): string =>
  `${k.protocol}/${k.hostPort}${k.hostIP === undefined ? '' : k.hostFamily === 6 ? `@[${k.hostIP}]` : `@${k.hostIP}`}`

/** parseKeyString reads keyString's output back; undefined when it is not one. */
export const parseKeyString = (s: string): HostKey | undefined => {
  const m = /^(tcp|udp|sctp)\/(\d{1,5})(?:@(?:\[([0-9a-f:.]+)\]|([0-9.]+)))?$/.exec(s)
  if (!m) return undefined
  const port = Number(m[2])
  if (port < 1 || port > 65535) return undefined
  const key: HostKey = { protocol: m[1] as Protocol, hostPort: port }
  if (m[3] !== undefined) return { ...key, hostIP: m[3], hostFamily: 6 }
  if (m[4] !== undefined) return { ...key, hostIP: m[4], hostFamily: 4 }
  return key
}

/** mapOfKey: which dispatch map holds the key. */
export const mapOfKey = (k: HostKey): string => (k.hostIP === undefined ? MAP.any : k.hostFamily === 6 ? MAP.v6 : MAP.v4)

/** elemKeyParts: the key's parts in map order (address . protocol . port). */
export const elemKeyParts = (k: HostKey): (string | number)[] =>
  k.hostIP === undefined ? [k.protocol, k.hostPort] : [k.hostIP, k.protocol, k.hostPort]

/** The owner of a pod chain, as written in its rule comments. */
export interface Owner {
  network: string
  containerId: string
  ifname: string
}

const COMMENT_MAX = 128

/**
 * ownerComment is the comment of a DNAT rule: `k=KEY if=IF net=NET cid=CID`, cut to 128 bytes.
 * The key comes first so it is never cut; the container id last (it is informational: the chain
 * name is the identity).
 */
export const ownerComment = (key: HostKey, o: Owner): string => {
  const full = `k=${keyString(key)} if=${o.ifname} net=${o.network} cid=${o.containerId}`
  return Buffer.byteLength(full) <= COMMENT_MAX ? full : Buffer.from(full).subarray(0, COMMENT_MAX).toString('utf8').replace(/\uFFFD$/u, '')
}

/** A parsed comment: the key, and the owner fields that survived truncation. */
export interface ParsedComment {
  key?: HostKey
  ifname?: string
  /** present only when followed by ` cid=` (so known to be complete) */
  network?: string
  containerId?: string
}

/** parseOwnerComment reads ownerComment's output (possibly truncated). */
export const parseOwnerComment = (comment: string): ParsedComment => {
  const out: ParsedComment = {}
  const m = /^k=(\S+) if=(\S+) net=(\S+) cid=(\S*)$/.exec(comment)
  if (m) {
    const key = parseKeyString(m[1] as string)
    if (key) out.key = key
    out.ifname = m[2] as string
    out.network = m[3] as string
    out.containerId = m[4] as string
    return out
  }
  const k = /^k=(\S+)/.exec(comment)
  if (k) {
    const key = parseKeyString(k[1] as string)
    if (key) out.key = key
  }
  const i = /^k=\S+ if=(\S+) /.exec(comment)
  if (i) out.ifname = i[1] as string
  return out
}
