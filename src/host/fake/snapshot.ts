// snapshot(): the whole fake state as canonical JSON, for `t.same(host.snapshot(), before)`.
// It holds what the host would show — links with their attributes, qdiscs and filters, sysctls,
// routes, each namespace's ruleset as `nft list` prints it, files and directories — and leaves
// out allocation counters and handles (nft handles, the next ifindex, u32 id cursors, whether the
// kernel kept an ingress queue), which differ after an ADD and DEL without being state anyone owns.
// Order that carries no meaning is fixed: links, chains and sets by name, map elements by key.
import { keyId } from './nft-expr.js'
import { listNft } from './nft-list.js'
import { linkByIndex, peerOf } from './links.js'
import type { FakeLink, FakeNamespace, FilterBlock, World } from './model.js'
import { tbfOptions } from './tc-units.js'

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** canonicalJson: keys sorted at every level (arrays keep their order). */
export const canonicalJson = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(canonicalJson)
  if (typeof v !== 'object' || v === null) return v
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonicalJson((v as Record<string, unknown>)[k])]))
}

const filters = (n: FakeNamespace, block: FilterBlock): unknown[] =>
  block.tps.map((tp) => ({
    prio: tp.prio, protocol: tp.protocol, htid: tp.htid,
    nodes: tp.nodes.map((node) => ({
      kid: node.kid, matches: node.matches,
      actions: node.actions.map((a) => ({ mirred: a.mirred, direction: a.direction, to: linkByIndex(n, a.toIfindex)?.name ?? '*', index: a.index })),
    })),
  }))

const link = (world: World, n: FakeNamespace, l: FakeLink): unknown => {
  const peer = peerOf(world, l)
  const r = l.root
  return {
    name: l.name, ifindex: l.ifindex, kind: l.kind, mtu: l.mtu, minMtu: l.minMtu, maxMtu: l.maxMtu, address: l.address,
    up: l.up, promisc: l.promisc, allmulti: l.allmulti, txqlen: l.txqlen,
    ...(l.peer ? { peer: { ns: l.peer.ns, name: peer?.name ?? null } } : {}),
    ...(l.addrs.length > 0 ? { addrs: l.addrs } : {}),
    root: r === undefined ? 'noop' : r.kind === 'tbf' ? { kind: 'tbf', handle: r.handle, ...tbfOptions(r.rate, r.buffer, r.limit) } : r.kind,
    ...(l.ingress ? { ingress: l.ingress, filters: { ingress: filters(n, l.ingressFilters), egress: filters(n, l.egressFilters) } } : {}),
  }
}

const stripHandles = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(stripHandles)
  if (typeof v !== 'object' || v === null) return v
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, stripHandles(x)]))
}

const ruleset = (n: FakeNamespace): unknown[] =>
  n.nft.tables
    .map((t) => ({ ...t, chains: [...t.chains].sort(byName), sets: [...t.sets].sort(byName).map((s) => ({ ...s, elems: [...s.elems].sort((a, b) => (keyId(a.key) < keyId(b.key) ? -1 : 1)) })) }))
    .sort((a, b) => (`${a.family} ${a.name}` < `${b.family} ${b.name}` ? -1 : 1))
    .map((t) => ({ table: `${t.family} ${t.name}`, objects: stripHandles(listNft({ tables: [t], lastTableHandle: 0 }, ['table', t.family, t.name])) }))

const parents = (path: string): string[] => {
  const parts = path.split('/').filter((p) => p !== '')
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)
}

/** snapshotWorld renders the world canonically. */
export const snapshotWorld = (world: World): unknown => {
  const namespaces = Object.fromEntries(
    [...world.namespaces.keys()].sort().map((key) => {
      const n = world.namespaces.get(key) as FakeNamespace
      return [key, {
        links: [...n.links].sort(byName).map((l) => link(world, n, l)),
        sysctls: Object.fromEntries([...n.sysctls].sort(([a], [b]) => (a < b ? -1 : 1))),
        routes: [...n.routes].sort((a, b) => (`${a.dst} ${a.dev}` < `${b.dst} ${b.dev}` ? -1 : 1)),
        nft: ruleset(n),
      }]
    }),
  )
  const files = Object.fromEntries([...world.files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, f]) => [p, { content: f.content, mode: f.mode }]))
  const dirs = [...new Set([...world.dirs, ...[...world.files.keys()].flatMap(parents)])].sort()
  return canonicalJson({ namespaces, files, dirs })
}
