// Links per namespace, and how `ip -j [-d] link show` prints them (iproute2 6.1 on kernel 6.18,
// compared by test/e2e/fake-vs-real.test.ts). A new link gets the next ifindex of its namespace,
// copies of the namespace's conf/default and neigh/default sysctls, and (on first `up`) its
// default qdisc; deleting it removes its peer, its sysctls, its routes and its qdiscs.
import { emptyNftState } from './nft-state.js'
import type { FakeLink, FakeNamespace, LinkKind, RootQdisc, World } from './model.js'

export const newNamespace = (): FakeNamespace => ({
  links: [], lastIfindex: 0, sysctls: new Map(), routes: [], netnsIds: new Map(), nft: emptyNftState(),
  actionIndexes: new Set(), lastQdiscHandle: 0x8000,
})

/** What a new link may be given; the rest comes from its kind's defaults. */
export interface LinkSpec {
  name: string
  kind: LinkKind
  ifindex?: number
  mtu?: number
  minMtu?: number
  maxMtu?: number
  address?: string
  up?: boolean
  promisc?: boolean
  allmulti?: boolean
  txqlen?: number
}

const DEFAULTS: Record<LinkKind, { mtu: number; minMtu: number; maxMtu: number; txqlen: number }> = {
  loopback: { mtu: 65536, minMtu: 0, maxMtu: 0, txqlen: 1000 },
  veth: { mtu: 1500, minMtu: 68, maxMtu: 65535, txqlen: 1000 },
  ifb: { mtu: 1500, minMtu: 0, maxMtu: 0, txqlen: 32 },
  bridge: { mtu: 1500, minMtu: 68, maxMtu: 65535, txqlen: 1000 },
  device: { mtu: 1500, minMtu: 68, maxMtu: 65535, txqlen: 1000 },
}

export const nsOf = (world: World, ns: string): FakeNamespace | undefined => world.namespaces.get(ns)

export const findLink = (n: FakeNamespace, name: string): FakeLink | undefined => n.links.find((l) => l.name === name)
export const linkByIndex = (n: FakeNamespace, ifindex: number): FakeLink | undefined => n.links.find((l) => l.ifindex === ifindex)

const nextMac = (world: World): string => {
  world.macSeq += 1
  const s = world.macSeq
  return ['02', 'fa', 'ce', (s >> 16) & 255, (s >> 8) & 255, s & 255].map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0'))).join(':')
}

const allocIfindex = (n: FakeNamespace, want?: number): number => {
  if (want !== undefined) {
    if (linkByIndex(n, want)) throw new Error(`semantic fake: ifindex ${want} is taken`)
    n.lastIfindex = Math.max(n.lastIfindex, want)
    return want
  }
  let i = n.lastIfindex + 1
  while (linkByIndex(n, i)) i++
  n.lastIfindex = i
  return i
}

// per-interface sysctl trees, copied from their `default` when the interface appears
const PER_IF = ['net/ipv4/conf', 'net/ipv6/conf', 'net/ipv4/neigh', 'net/ipv6/neigh']
const IPV6_TREES = ['net/ipv6/conf', 'net/ipv6/neigh']
/** below IPv6's minimum MTU the kernel drops the interface's IPv6 state (and its sysctls) */
const IPV6_MIN_MTU = 1280

const copySysctls = (n: FakeNamespace, name: string, trees: readonly string[]): void => {
  for (const tree of trees) {
    const from = `${tree}/default/`
    for (const [k, v] of [...n.sysctls]) if (k.startsWith(from)) n.sysctls.set(`${tree}/${name}/${k.slice(from.length)}`, v)
  }
}

const dropSysctls = (n: FakeNamespace, name: string, trees: readonly string[]): void => {
  for (const tree of trees) {
    const prefix = `${tree}/${name}/`
    for (const k of [...n.sysctls.keys()]) if (k.startsWith(prefix)) n.sysctls.delete(k)
  }
}

/**
 * setMtu changes the MTU; crossing 1280 removes the IPv6 addresses and sysctls, or re-creates the
 * sysctls from the defaults (the addresses stay gone; the fake has no link-local ones).
 */
export const setMtu = (n: FakeNamespace, l: FakeLink, mtu: number): void => {
  const had = l.mtu >= IPV6_MIN_MTU
  l.mtu = mtu
  if (had && mtu < IPV6_MIN_MTU) {
    dropSysctls(n, l.name, IPV6_TREES)
    l.addrs = l.addrs.filter((a) => a.family !== 'inet6')
  }
  if (!had && mtu >= IPV6_MIN_MTU) copySysctls(n, l.name, IPV6_TREES)
}

/** createLink adds a link to namespace `ns` (which must exist). */
export const createLink = (world: World, ns: string, spec: LinkSpec): FakeLink => {
  const n = nsOf(world, ns)
  if (!n) throw new Error(`semantic fake: no namespace ${JSON.stringify(ns)}`)
  if (findLink(n, spec.name)) throw new Error(`semantic fake: ${spec.name} exists in ${JSON.stringify(ns)}`)
  const d = DEFAULTS[spec.kind]
  const link: FakeLink = {
    ifindex: allocIfindex(n, spec.ifindex),
    name: spec.name,
    kind: spec.kind,
    mtu: spec.mtu ?? d.mtu,
    minMtu: spec.minMtu ?? d.minMtu,
    maxMtu: spec.maxMtu ?? d.maxMtu,
    address: (spec.address ?? (spec.kind === 'loopback' ? '00:00:00:00:00:00' : nextMac(world))).toLowerCase(),
    up: false,
    promisc: spec.promisc ?? false,
    allmulti: spec.allmulti ?? false,
    txqlen: spec.txqlen ?? d.txqlen,
    ingressQueue: false,
    ingressFilters: { tps: [] },
    egressFilters: { tps: [] },
    addrs: [],
  }
  n.links.push(link)
  copySysctls(n, link.name, link.mtu >= IPV6_MIN_MTU ? PER_IF : PER_IF.filter((t) => !IPV6_TREES.includes(t)))
  if (spec.up) setUp(world, ns, link, true)
  return link
}

const netnsId = (n: FakeNamespace, other: string): number => {
  const have = n.netnsIds.get(other)
  if (have !== undefined) return have
  const id = n.netnsIds.size
  n.netnsIds.set(other, id)
  return id
}

/** createVethPair adds two links that are each other's peer (in the same or two namespaces). */
export const createVethPair = (world: World, a: { ns: string } & Omit<LinkSpec, 'kind'>, b: { ns: string } & Omit<LinkSpec, 'kind'>): [FakeLink, FakeLink] => {
  const na = nsOf(world, a.ns)
  const nb = nsOf(world, b.ns)
  if (!na || !nb) throw new Error('semantic fake: veth namespaces must exist')
  if (findLink(na, a.name) || findLink(nb, b.name)) throw new Error('semantic fake: veth name taken')
  // the kernel registers the peer first
  const lb = createLink(world, b.ns, { ...b, kind: 'veth', up: false })
  const la = createLink(world, a.ns, { ...a, kind: 'veth', up: false })
  la.peer = { ns: b.ns, ifindex: lb.ifindex }
  lb.peer = { ns: a.ns, ifindex: la.ifindex }
  if (a.ns !== b.ns) {
    netnsId(na, b.ns)
    netnsId(nb, a.ns)
  }
  if (b.up) setUp(world, b.ns, lb, true)
  if (a.up) setUp(world, a.ns, la, true)
  return [la, lb]
}

export const peerOf = (world: World, link: FakeLink): FakeLink | undefined => {
  if (!link.peer) return undefined
  const n = nsOf(world, link.peer.ns)
  return n && linkByIndex(n, link.peer.ifindex)
}

/** deleteLink removes the link (and a veth's peer), with their sysctls, routes and qdiscs. */
export const deleteLink = (world: World, ns: string, link: FakeLink): void => {
  const peer = peerOf(world, link)
  const drop = (where: string, l: FakeLink): void => {
    const n = nsOf(world, where)
    if (!n) return
    n.links = n.links.filter((x) => x !== l)
    dropSysctls(n, l.name, PER_IF)
    n.routes = n.routes.filter((r) => r.dev !== l.name)
    for (const block of [l.ingressFilters, l.egressFilters]) {
      for (const tp of block.tps) for (const node of tp.nodes) for (const a of node.actions) n.actionIndexes.delete(a.index)
    }
  }
  drop(ns, link)
  if (peer && link.peer) drop(link.peer.ns, peer)
}

/** defaultRoot: noqueue for IFF_NO_QUEUE devices (veth, bridge, lo) and txqueuelen 0, else pfifo_fast. */
export const defaultRoot = (l: FakeLink): RootQdisc => {
  const noQueue = l.kind === 'veth' || l.kind === 'bridge' || l.kind === 'loopback' || l.txqlen === 0
  return { kind: noQueue ? 'noqueue' : 'pfifo_fast', isDefault: true }
}

/** setUp brings a link up or down; up attaches the default qdisc when there is no root. */
export const setUp = (_world: World, _ns: string, link: FakeLink, up: boolean): void => {
  link.up = up
  if (up && !link.root) link.root = defaultRoot(link)
}

const carrier = (world: World, l: FakeLink): boolean => {
  if (!l.up) return false
  if (l.kind === 'veth') return peerOf(world, l)?.up ?? false
  return l.kind !== 'bridge'
}

const operstate = (world: World, l: FakeLink): string => {
  if (!l.up) return 'DOWN'
  if (l.kind === 'loopback' || l.kind === 'ifb') return 'UNKNOWN'
  if (carrier(world, l)) return 'UP'
  // the kernel says LOWERLAYERDOWN when the link has a lower device (a veth: its peer's index),
  // unless that index equals its own — as when both ends are ifindex 2 in their namespaces
  return l.peer && l.peer.ifindex !== l.ifindex ? 'LOWERLAYERDOWN' : 'DOWN'
}

/** flags in iproute2's order: NO-CARRIER, the IFF_ bits by value, M-DOWN. */
const flags = (world: World, ns: string, l: FakeLink): string[] => {
  const out: string[] = []
  if (l.up && !carrier(world, l)) out.push('NO-CARRIER')
  if (l.kind === 'loopback') out.push('LOOPBACK')
  else out.push('BROADCAST')
  if (l.kind !== 'loopback' && l.kind !== 'ifb') out.push('MULTICAST')
  if (l.kind === 'ifb') out.push('NOARP')
  if (l.allmulti) out.push('ALLMULTI')
  if (l.promisc) out.push('PROMISC')
  if (l.up) out.push('UP')
  if (carrier(world, l)) out.push('LOWER_UP')
  const peer = peerOf(world, l)
  if (peer && l.peer?.ns === ns && !peer.up) out.push('M-DOWN')
  return out
}

/** addrJson renders one link as `ip -j addr show` does: the link fields (no linkmode), then addr_info. */
export const addrJson = (world: World, ns: string, l: FakeLink): Record<string, unknown> => {
  const { linkmode: _m, ...base } = linkJson(world, ns, l, false)
  const forever = { valid_life_time: 4294967295, preferred_life_time: 4294967295 }
  return {
    ...base,
    addr_info: l.addrs.map((a) => a.family === 'inet'
      ? { family: 'inet', local: a.local, prefixlen: a.prefixlen, scope: 'global', label: l.name, ...forever }
      // duplicate address detection never finishes without carrier
      : { family: 'inet6', local: a.local, prefixlen: a.prefixlen, scope: 'global', ...(carrier(world, l) ? {} : { tentative: true }), ...forever }),
  }
}

/** linkJson renders one link as `ip -j [-d] link show` does (the fields the fake models). */
export const linkJson = (world: World, ns: string, l: FakeLink, details: boolean): Record<string, unknown> => {
  const peer = peerOf(world, l)
  const sameNs = l.peer?.ns === ns
  const n = nsOf(world, ns)
  const out: Record<string, unknown> = { ifindex: l.ifindex }
  if (l.peer) {
    if (sameNs && peer) out.link = peer.name
    else out.link_index = l.peer.ifindex
  }
  out.ifname = l.name
  out.flags = flags(world, ns, l)
  out.mtu = l.mtu
  out.qdisc = l.root?.kind ?? 'noop'
  out.operstate = operstate(world, l)
  out.linkmode = 'DEFAULT'
  out.group = 'default'
  if (l.txqlen > 0) out.txqlen = l.txqlen
  out.link_type = l.kind === 'loopback' ? 'loopback' : 'ether'
  out.address = l.address
  out.broadcast = l.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'
  if (l.peer && !sameNs && n) out.link_netnsid = n.netnsIds.get(l.peer.ns) ?? 0
  if (details) {
    out.promiscuity = l.promisc ? 1 : 0
    out.allmulti = l.allmulti ? 1 : 0
    out.min_mtu = l.minMtu
    out.max_mtu = l.maxMtu
    if (l.kind !== 'loopback' && l.kind !== 'device') out.linkinfo = { info_kind: l.kind }
  }
  return out
}

