// The pod interface as `ip -j -d link show` reports it, and the `ip link set` steps that change
// one attribute each. Names and values are validated before they get here (config.ts, record.ts).
import { isValidInterfaceName } from '../cni/validate.js'
import { isNotFound } from '../host/types.js'
import type { ReadHost } from '../host/types.js'
import type { Step } from '../plan/types.js'

/** LinkState: the attributes tuning reads and writes. */
export interface LinkState {
  mac: string
  mtu: number
  promisc: boolean
  allmulti: boolean
  txQLen: number
  minMtu: number | undefined
  /** undefined: no upper limit */
  maxMtu: number | undefined
}

interface IpLink {
  ifname?: string
  address?: string
  mtu?: number
  flags?: string[]
  txqlen?: number
  min_mtu?: number
  max_mtu?: number
}

/**
 * readLink returns the interface's state in netns, or undefined when it does not exist. Flags are
 * the user-requested ones (IFF_PROMISC/IFF_ALLMULTI), not the promiscuity counters.
 */
export const readLink = async (host: ReadHost, ifname: string, netns: string): Promise<LinkState | undefined> => {
  let links: IpLink[]
  try {
    links = await host.ip.json<IpLink[]>(['-d', 'link', 'show', 'dev', ifname], netns)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const l = links[0]
  if (!l || typeof l.mtu !== 'number') return undefined
  const flags = l.flags ?? []
  return {
    mac: (l.address ?? '').toLowerCase(),
    mtu: l.mtu,
    promisc: flags.includes('PROMISC'),
    allmulti: flags.includes('ALLMULTI'),
    // iproute2 prints no txqlen when it is 0 (veths made through netlink often have 0)
    txQLen: l.txqlen ?? 0,
    minMtu: l.min_mtu,
    // the kernel's max_mtu 0 means no upper limit (lo, ifb)
    maxMtu: l.max_mtu === 0 ? undefined : l.max_mtu,
  }
}

/** The attributes `ip link set` changes, in the order DEL restores them (MTU first). */
export type LinkAttr = 'mtu' | 'mac' | 'promisc' | 'allmulti' | 'txQLen'

/** linkSetStep builds the one `ip link set` step that sets attr to value in netns. */
export const linkSetStep = (ifname: string, netns: string, attr: LinkAttr, value: string | number | boolean): Step => {
  const onOff = (b: unknown): string => (b ? 'on' : 'off')
  const tail: Record<LinkAttr, string[]> = {
    mtu: ['mtu', String(value)],
    mac: ['address', String(value)],
    promisc: ['promisc', onOff(value)],
    allmulti: ['allmulticast', onOff(value)],
    txQLen: ['txqueuelen', String(value)],
  }
  return { kind: 'ip', netns, args: ['link', 'set', 'dev', ifname, ...tail[attr]] }
}

// ---- link identity: kind, ifindex and veth peer (bandwidth finds the host end of a pod's veth) ----

/** LinkInfo: who a link is, as `ip -j -d link show` reports it. */
export interface LinkInfo {
  ifindex: number
  name: string
  /** linkinfo.info_kind (veth, ifb, macvlan, ...); undefined for a plain device */
  kind: string | undefined
  mtu: number
  mac: string
  /** a veth's peer ifindex, when the peer lives in another namespace (link_index) */
  peerIfindex: number | undefined
  /** the namespace id of that peer, as this namespace numbers it (link_netnsid) */
  peerNetnsId: number | undefined
  /** a veth's peer name, when the peer is in the same namespace (iproute2 prints `link` then) */
  peerName: string | undefined
}

interface IpLinkDetails extends IpLink {
  ifindex?: number
  link_index?: number
  link_netnsid?: number
  link?: string
  linkinfo?: { info_kind?: string }
}

const toLinkInfo = (l: IpLinkDetails): LinkInfo | undefined => {
  if (typeof l.ifindex !== 'number' || typeof l.ifname !== 'string' || typeof l.mtu !== 'number') return undefined
  return {
    ifindex: l.ifindex,
    name: l.ifname,
    kind: l.linkinfo?.info_kind,
    mtu: l.mtu,
    mac: (l.address ?? '').toLowerCase(),
    peerIfindex: typeof l.link_index === 'number' ? l.link_index : undefined,
    peerNetnsId: typeof l.link_netnsid === 'number' ? l.link_netnsid : undefined,
    peerName: typeof l.link === 'string' ? l.link : undefined,
  }
}

/** readLinkInfo returns one link of netns by name, or undefined when it does not exist. */
export const readLinkInfo = async (host: ReadHost, name: string, netns: string | undefined): Promise<LinkInfo | undefined> => {
  try {
    const links = await host.ip.json<IpLinkDetails[]>(['-d', 'link', 'show', 'dev', name], netns)
    return links[0] ? toLinkInfo(links[0]) : undefined
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}

/** listLinks returns every link of netns (`ip -j -d link show`). */
export const listLinks = async (host: ReadHost, netns: string | undefined): Promise<LinkInfo[]> => {
  const links = await host.ip.json<IpLinkDetails[]>(['-d', 'link', 'show'], netns)
  return links.flatMap((l) => toLinkInfo(l) ?? [])
}

/** The two ends of a pod's veth. */
export interface VethPeer {
  pod: LinkInfo
  peer: LinkInfo
}

/** Why findVethPeer found no host end. */
export type VethPeerProblem =
  | { problem: 'no-link' }
  /** the pod interface is not a veth (macvlan, ipvlan, a moved device...) */
  | { problem: 'not-veth'; kind: string | undefined }
  /** a veth whose peer is in the pod's own namespace */
  | { problem: 'peer-in-pod' }
  /** no veth in this namespace points back at the pod interface */
  | { problem: 'peer-elsewhere'; peerIfindex: number }

/** At most this many candidate names are read (a result listing more host interfaces is odd). */
export const MAX_PEER_CANDIDATES = 8

/**
 * findVethPeer finds, in the caller's namespace, the other end of the veth `ifname` of the pod
 * namespace `netns`: the pod end's link_index names the peer's ifindex, and the link with that
 * ifindex here must be a veth whose own link_index is the pod end's ifindex (both directions, so
 * an unrelated link that merely has the same number is never taken).
 *
 * The peer is looked for among `candidates` first (host interface names the caller knows, e.g.
 * prevResult's interfaces without a sandbox), each read by name, so the cost does not grow with
 * the node's link count. Only when none of them is the peer are all links listed (primary plugins
 * such as amazon-vpc-cni list no host interface in their result). Candidates that are not valid
 * interface names are skipped.
 */
export const findVethPeer = async (
  host: ReadHost, ifname: string, netns: string, candidates: readonly string[] = [],
): Promise<VethPeer | VethPeerProblem> => {
  const pod = await readLinkInfo(host, ifname, netns)
  if (!pod) return { problem: 'no-link' }
  if (pod.kind !== 'veth') return { problem: 'not-veth', kind: pod.kind }
  if (pod.peerIfindex === undefined) return { problem: 'peer-in-pod' }
  const peerIfindex = pod.peerIfindex
  const pointsBack = (l: LinkInfo | undefined): l is LinkInfo =>
    l !== undefined && l.ifindex === peerIfindex && l.kind === 'veth' && l.peerIfindex === pod.ifindex
  const names = [...new Set(candidates)].filter(isValidInterfaceName).slice(0, MAX_PEER_CANDIDATES)
  const named = await Promise.all(names.map((name) => readLinkInfo(host, name, undefined)))
  const peer = named.find(pointsBack) ?? (await listLinks(host, undefined)).find((l) => l.ifindex === peerIfindex)
  if (!pointsBack(peer)) return { problem: 'peer-elsewhere', peerIfindex }
  return { pod, peer }
}
