// The state a semantic fake host keeps: network namespaces (links, qdiscs and filters, sysctls,
// routes, one nft ruleset each) and a file tree. Plain data: cloned for atomic nft batches and
// rendered canonically by snapshot.ts.
import type { NftState } from './nft-state.js'

/** The key of the caller's own namespace (a Host call with netns undefined). */
export const HOST_NS = ''

export type LinkKind = 'loopback' | 'veth' | 'ifb' | 'bridge' | 'device'

/** A root qdisc. Default qdiscs (handle 0:) are attached when a device goes up without one. */
export type RootQdisc =
  | { kind: 'noqueue' | 'pfifo_fast'; isDefault: true }
  /** tbf as the kernel stores it: rate in bytes/s, buffer in psched ticks, limit in bytes */
  | { kind: 'tbf'; isDefault: false; handle: number; rate: number; buffer: number; limit: number }

/** A mirred action; `toIfindex` may name a device that is gone (iproute2 prints `*`). */
export interface MirredAction {
  mirred: 'redirect' | 'mirror'
  direction: 'egress' | 'ingress'
  toIfindex: number
  index: number
}

export interface U32Match {
  value: number
  mask: number
  off: number
}

export interface U32Node {
  /** node id (the NODE of HT::NODE) */
  kid: number
  matches: U32Match[]
  actions: MirredAction[]
}

/** One u32 classifier instance (one priority) with its root hash table. */
export interface U32Tp {
  prio: number
  protocol: string
  htid: number
  nodes: U32Node[]
}

/** The filters of one side (ingress or egress) of a device. */
export interface FilterBlock {
  tps: U32Tp[]
  /** u32's shared table (tp_c): exists while any u32 instance does; allocates hash-table ids cyclically */
  u32Ids?: { last: number }
}

export interface FakeLink {
  ifindex: number
  name: string
  kind: LinkKind
  mtu: number
  minMtu: number
  maxMtu: number
  address: string
  up: boolean
  promisc: boolean
  allmulti: boolean
  txqlen: number
  /** veth peer: namespace key and ifindex there */
  peer?: { ns: string; ifindex: number }
  /** undefined = noop (never up, or root deleted while down) */
  root?: RootQdisc
  /** clsact or ingress qdisc */
  ingress?: 'clsact' | 'ingress'
  /** the kernel keeps the ingress queue once created; it changes one error message */
  ingressQueue: boolean
  ingressFilters: FilterBlock
  egressFilters: FilterBlock
  /** addresses (seeded: the fake has no `ip addr add`) */
  addrs: FakeAddress[]
}

export interface FakeAddress {
  family: 'inet' | 'inet6'
  local: string
  prefixlen: number
}

export interface FakeRoute {
  /** prefix, e.g. 10.0.0.0/24 or fd00::/64 */
  dst: string
  dev: string
  prefsrc?: string
}

export interface FakeNamespace {
  links: FakeLink[]
  /** the last ifindex handed out (the kernel allocates cyclically per namespace) */
  lastIfindex: number
  sysctls: Map<string, string>
  routes: FakeRoute[]
  /** netnsid this namespace uses for other namespaces (veth peers) */
  netnsIds: Map<string, number>
  nft: NftState
  /** mirred action indexes in use (per namespace, lowest free is taken) */
  actionIndexes: Set<number>
  /** the last auto-allocated qdisc major (kernel counts from 0x8001) */
  lastQdiscHandle: number
}

export interface FakeFile {
  content: string
  mode: number
}

export interface World {
  namespaces: Map<string, FakeNamespace>
  files: Map<string, FakeFile>
  dirs: Set<string>
  /** counter for generated MAC addresses */
  macSeq: number
}

/** One effectful call as the fake saw it (the recording src/host/fake.ts uses the same shape). */
export interface FakeCall {
  tool: 'nft' | 'ip' | 'tc' | 'sysctl' | 'conntrack' | 'files'
  netns?: string
  /** ip/tc: one command's arguments; nft: the batch; sysctl: [key, value]; files: [op, path]; conntrack: [family, protocol, port] */
  args: unknown
}
