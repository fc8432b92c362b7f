// Names of everything the firewall owns (nftables and iptables), and the owner record it writes in
// rule comments. The layout is API (see README.md): versioned tables, fixed chain and map names.
import type { TableRef } from '../../src/nft/build.js'
import { attachmentChainName, isAttachmentChainName } from '../../src/nft/names.js'
import { cutComment, decodeField, encodeField } from '../../src/nft/comment.js'

/** The inet table: dispatch by pod address, per-attachment chains, per-bridge isolation chains. */
export const TABLE: TableRef = { family: 'inet', table: 'cni_firewall_v1' }
/** The bridge-family table: only for `isolated` pods (bridged frames never reach the inet forward hook without br_netfilter). */
export const BRIDGE_TABLE: TableRef = { family: 'bridge', table: 'cni_firewall_v1' }

export const CHAIN = { forward: 'forward' } as const

/** pods4/pods6: pod address → jump <attachment chain>; isolated: bridge name → drop. */
export const MAP = { v4: 'pods4', v6: 'pods6', isolated: 'isolated' } as const

/**
 * Priorities (numeric: JSON has no named priorities). inet: filter - 10, before iptables-nft (0),
 * Docker's nftables chains (0) and firewalld (+10), so the mark is set before anyone decides.
 * bridge: the bridge family's filter priority (-200).
 */
export const PRIO = { forward: -10, bridgeForward: -200 } as const

/** The iptables chain the one static rule jumps to (it consults the admin chain, then accepts). */
export const IPT_CHAIN = 'CNI-CHAIN-FORWARD'
/** The comment on that static rule. */
export const IPT_COMMENT = 'cni-chain firewall: pod traffic marked by table inet cni_firewall_v1'

export const DEFAULT_MARK_BIT = 12

/**
 * podChainName is the attachment's chain (in both tables): `fw-` + base32(sha256(network NUL
 * containerID NUL ifname))[:16]. Deterministic, so DEL, CHECK and GC find it without listing.
 */
export const podChainName = (network: string, containerId: string, ifname: string): string =>
  attachmentChainName('fw', network, containerId, ifname)

/** isPodChainName tells whether a chain name is an attachment chain. */
export const isPodChainName = (name: string): boolean => isAttachmentChainName('fw', name)

/** isoChainName is the shared isolation chain of a bridge; pods on it jump there (the kernel counts them). */
export const isoChainName = (bridge: string): string => `iso-${bridge}`

/** bridgeOfIsoChain reads the bridge back from an isolation chain's name. */
export const bridgeOfIsoChain = (chain: string): string | undefined => (chain.startsWith('iso-') && chain.length > 4 ? chain.slice(4) : undefined)

export type IngressPolicy = 'open' | 'same-bridge' | 'isolated'

/** The owner of an attachment chain, as written in its rule comments. */
export interface Owner {
  network: string
  containerId: string
  ifname: string
}

/**
 * ownerComment: `if=IF pol=POLICY net=NET cid=CID`, the owner fields percent-encoded (a hostile
 * CNI_IFNAME such as `x";drop#` cannot end the comment string in `nft list ruleset`; see
 * src/nft/comment.ts), cut to 128 bytes. The container id is last: it is informational (the chain
 * name is the identity).
 */
export const ownerComment = (o: Owner, policy: IngressPolicy): string =>
  cutComment(`if=${encodeField(o.ifname)} pol=${policy} net=${encodeField(o.network)} cid=${encodeField(o.containerId)}`)

export interface ParsedOwner {
  ifname?: string
  policy?: IngressPolicy
  /** present only when followed by ` cid=` (so known to be complete) */
  network?: string
  containerId?: string
}

/** parseOwnerComment reads ownerComment's output (possibly truncated), decoding the owner fields. */
export const parseOwnerComment = (comment: string): ParsedOwner => {
  const out: ParsedOwner = {}
  const m = /^if=(\S+) pol=(open|same-bridge|isolated) net=(\S+) cid=(\S*)$/.exec(comment)
  if (m) return { ifname: decodeField(m[1] as string), policy: m[2] as IngressPolicy, network: decodeField(m[3] as string), containerId: decodeField(m[4] as string) }
  const p = /^if=(\S+) pol=(open|same-bridge|isolated) /.exec(comment)
  if (p) {
    out.ifname = decodeField(p[1] as string)
    out.policy = p[2] as IngressPolicy
  }
  return out
}
