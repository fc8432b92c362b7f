// The nft commands portmap writes: the constant skeleton (written with its stamp when the stamp is
// missing, src/nft/stamp.ts) and one attachment's chain + map elements. Pure functions of the config: fixtures compare their output.
import {
  add, chainObj, concat, dnat, drop, elementObj, fibDaddrType, flush, gotoElem, jump, mapObj, markHas, markOr, markXor,
  masquerade, match, meta, payload, prefix, ret, ruleObj, setObj, tableObj, vmap,
} from '../../src/nft/build.js'
import type { NftCommand, NftElement, NftStatement } from '../../src/nft/types.js'
import { releaseChain, releaseElements, releaseShared, removeChain, type MapKeys } from '../../src/nft/ownership.js'
import type { PodAddress, PortMapping, PortmapConfig } from './config.js'
import {
  CHAIN, MAP, PRIO, SET, TABLE, claimsOf, isSpecific, masqChainName, ownerComment, parseSharedChainName, portsMap,
  sharedChainOf, specificChain, type HostKey, type Owner,
} from './layout.js'

const T = TABLE
const L4_PORT = [meta('l4proto'), payload('th', 'dport')]

/** The addresses kube-proxy (IPVS mode) bound to kube-ipvs0: Service VIPs, never host-port targets. */
export interface IpvsAddresses {
  v4: string[]
  v6: string[]
}

/** ipvsRefreshCommands: replace the ipvs4/ipvs6 sets' contents with `ipvs` (one transaction). */
export const ipvsRefreshCommands = (ipvs: IpvsAddresses): NftCommand[] => [
  flush(setObj(T, SET.ipvs4, 'ipv4_addr')),
  flush(setObj(T, SET.ipvs6, 'ipv6_addr')),
  ...(ipvs.v4.length > 0 ? [add(elementObj(T, SET.ipvs4, ipvs.v4))] : []),
  ...(ipvs.v6.length > 0 ? [add(elementObj(T, SET.ipvs6, ipvs.v6))] : []),
]

/**
 * skeletonCommands: table, sets, maps and the constant chains; base, dispatch and specific chains
 * flushed and refilled. `ipvs` (when known) refreshes the kube-ipvs0 sets in the same transaction
 * (ADD passes it separately: the refresh is not part of what the stamp hashes).
 * The admin's exclude4/exclude6 sets are created empty and never flushed.
 */
export const skeletonCommands = (cfg: Pick<PortmapConfig, 'snat' | 'markBit' | 'mark'>, localhost: boolean, ipvs?: IpvsAddresses): NftCommand[] => {
  const local = match(fibDaddrType(), 'local')
  const cmds: NftCommand[] = [
    add(tableObj(T)),
    add(mapObj(T, MAP.ports4, ['inet_proto', 'inet_service'], 'verdict')),
    add(mapObj(T, MAP.ports6, ['inet_proto', 'inet_service'], 'verdict')),
    add(mapObj(T, MAP.v4, ['ipv4_addr', 'inet_proto', 'inet_service'], 'verdict')),
    add(mapObj(T, MAP.v6, ['ipv6_addr', 'inet_proto', 'inet_service'], 'verdict')),
    add(setObj(T, SET.exclude4, 'ipv4_addr', ['interval'])),
    add(setObj(T, SET.exclude6, 'ipv6_addr', ['interval'])),
    add(setObj(T, SET.ipvs4, 'ipv4_addr')),
    add(setObj(T, SET.ipvs6, 'ipv6_addr')),
    add(chainObj(T, CHAIN.dispatch)),
    add(chainObj(T, CHAIN.specific4)),
    add(chainObj(T, CHAIN.specific6)),
    add(chainObj(T, CHAIN.prerouting, { type: 'nat', hook: 'prerouting', prio: PRIO.dstnat })),
    add(chainObj(T, CHAIN.output, { type: 'nat', hook: 'output', prio: PRIO.dstnat })),
    flush(chainObj(T, CHAIN.dispatch)),
    flush(chainObj(T, CHAIN.specific4)),
    flush(chainObj(T, CHAIN.specific6)),
    flush(chainObj(T, CHAIN.prerouting)),
    flush(chainObj(T, CHAIN.output)),
    // local, but not the node's own: Service VIPs (fib cannot tell which device holds a local address)
    add(ruleObj(T, CHAIN.dispatch, [match(payload('ip', 'daddr'), `@${SET.exclude4}`), ret()])),
    add(ruleObj(T, CHAIN.dispatch, [match(payload('ip6', 'daddr'), `@${SET.exclude6}`), ret()])),
    add(ruleObj(T, CHAIN.dispatch, [match(payload('ip', 'daddr'), `@${SET.ipvs4}`), ret()])),
    add(ruleObj(T, CHAIN.dispatch, [match(payload('ip6', 'daddr'), `@${SET.ipvs6}`), ret()])),
    // one lookup per family: a wildcard owner's chain, or `specificN` for ports held by addresses
    add(ruleObj(T, CHAIN.dispatch, [match(meta('nfproto'), 'ipv4'), vmap(concat(...L4_PORT), MAP.ports4)])),
    add(ruleObj(T, CHAIN.dispatch, [match(meta('nfproto'), 'ipv6'), vmap(concat(...L4_PORT), MAP.ports6)])),
    add(ruleObj(T, CHAIN.specific4, [vmap(concat(payload('ip', 'daddr'), ...L4_PORT), MAP.v4)])),
    add(ruleObj(T, CHAIN.specific6, [vmap(concat(payload('ip6', 'daddr'), ...L4_PORT), MAP.v6)])),
    // only packets to this host: never transit traffic (CVE-2025-67499)
    add(ruleObj(T, CHAIN.prerouting, [local, jump(CHAIN.dispatch)])),
    // locally generated: IPv4 (127/8 is filtered per pod when snat is off), IPv6 except ::1
    add(ruleObj(T, CHAIN.output, [match(meta('nfproto'), 'ipv4'), local, jump(CHAIN.dispatch)])),
    add(ruleObj(T, CHAIN.output, [match(payload('ip6', 'daddr'), '::1', '!='), local, jump(CHAIN.dispatch)])),
    ...(ipvs ? ipvsRefreshCommands(ipvs) : []),
  ]
  if (cfg.snat) {
    const masq = masqChainName(cfg.markBit)
    cmds.push(
      add(chainObj(T, masq, { type: 'nat', hook: 'postrouting', prio: PRIO.srcnat })),
      flush(chainObj(T, masq)),
      // clear the bit first so later hooks (and other tables) never see it
      add(ruleObj(T, masq, [markHas(cfg.mark), markXor(cfg.mark), masquerade()])),
    )
  }
  if (localhost) {
    // route_localnet is on somewhere: 127/8 must only ever come from lo (CVE-2020-8558)
    cmds.push(
      add(chainObj(T, CHAIN.raw, { type: 'filter', hook: 'prerouting', prio: PRIO.raw })),
      flush(chainObj(T, CHAIN.raw)),
      add(ruleObj(T, CHAIN.raw, [match(meta('iifname'), 'lo', '!='), match(payload('ip', 'daddr'), prefix('127.0.0.0', 8)), drop()])),
    )
  }
  return cmds
}

/** appliesTo: does the mapping produce a rule for pod family fam (other-family hostIPs are skipped)? */
const appliesTo = (m: HostKey, fam: 4 | 6): boolean => m.hostFamily === undefined || m.hostFamily === fam

/** activeMappings: the mappings that reach at least one of the pod's addresses. */
export const activeMappings = (cfg: Pick<PortmapConfig, 'mappings' | 'podV4' | 'podV6'>): PortMapping[] =>
  cfg.mappings.filter((m) => (cfg.podV4 && appliesTo(m, 4)) || (cfg.podV6 && appliesTo(m, 6)))

const networkOf = (a: PodAddress, fam: 4 | 6): string => {
  if (fam === 4) {
    const n = a.addr.split('.').map(Number).reduce((acc, o) => acc * 256 + (o as number), 0)
    const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0
    const net = Number((BigInt(n) & BigInt(mask)))
    return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')
  }
  const groups = expand6(a.addr)
  let big = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
  const mask = a.prefixLen === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - a.prefixLen)) - 1n)
  big &= mask
  const out: string[] = []
  for (let i = 7; i >= 0; i--) out.push(((big >> BigInt(i * 16)) & 0xffffn).toString(16))
  return compress6(out)
}

const expand6 = (addr: string): number[] => {
  const [head = '', tail] = addr.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16))
}

const compress6 = (groups: string[]): string => {
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i }
    i = j
  }
  if (best < 0) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

/** One rule of an attachment's chain. */
export interface PodRule {
  expr: NftStatement[]
  comment?: string
}

/** sharedChainsOf: the shared per-port chains of the specific keys, each once, in key order. */
export const sharedChainsOf = (keys: HostKey[]): string[] => [...new Set(keys.flatMap((k) => sharedChainOf(k) ?? []))]

/**
 * podRules: the expressions (and comments) of one attachment's chain, in order. Per family: the
 * excluded destinations (return), then per mapping: hairpin mark (pod subnet, or every source with
 * masqAll), localhost mark (IPv4), DNAT. Last, one `jump sp…` per port it holds by address: the
 * reference that makes the kernel count the holders of that port (never reached by a packet that
 * a DNAT rule took).
 */
export const podRules = (cfg: PortmapConfig, owner: Owner): PodRule[] => {
  const rules: PodRule[] = []
  const fams: [4 | 6, PodAddress | undefined][] = [[4, cfg.podV4], [6, cfg.podV6]]
  for (const [fam, pod] of fams) {
    if (!pod) continue
    const ipProto = fam === 4 ? 'ip' : 'ip6'
    const nfproto = match(meta('nfproto'), fam === 4 ? 'ipv4' : 'ipv6')
    const conds = fam === 4 ? cfg.conditionsV4 : cfg.conditionsV6
    const mappings = cfg.mappings.filter((m) => appliesTo(m, fam))
    if (mappings.length === 0) continue
    // one rule per prefix: nft 1.0.6 mangles anonymous interval sets in rules
    for (const p of cfg.excludeDestinations.filter((d) => d.family === fam)) {
      const full = p.len === (fam === 4 ? 32 : 128)
      rules.push({ expr: [match(payload(ipProto, 'daddr'), full ? p.addr : prefix(p.addr, p.len)), ret()] })
    }
    // without snat, 127/8 cannot be answered: never DNAT it (the output hook sends it here)
    if (fam === 4 && !cfg.snat) rules.push({ expr: [match(payload('ip', 'daddr'), prefix('127.0.0.0', 8)), ret()] })
    for (const m of mappings) {
      const head = [
        nfproto,
        ...conds,
        ...(isSpecific(m) ? [match(payload(ipProto, 'daddr'), m.hostIP)] : []),
        match(payload(m.protocol, 'dport'), m.hostPort),
      ]
      if (cfg.snat) {
        if (cfg.masqAll) rules.push({ expr: [...head, markOr(cfg.mark)] })
        else {
          rules.push({ expr: [...head, match(payload(ipProto, 'saddr'), prefix(networkOf(pod, fam), pod.prefixLen)), markOr(cfg.mark)] })
          if (fam === 4) rules.push({ expr: [...head, match(payload('ip', 'saddr'), prefix('127.0.0.0', 8)), markOr(cfg.mark)] })
        }
      }
      rules.push({ expr: [...head, dnat(ipProto, pod.addr, m.containerPort)], comment: ownerComment(m, owner) })
    }
  }
  for (const shared of sharedChainsOf(activeMappings(cfg))) rules.push({ expr: [jump(shared)] })
  return rules
}

/** ownGroups: the elements of `keys` that point at the attachment's own chain, by map. */
const ownGroups = (keys: HostKey[], chain: string): MapKeys[] => {
  const byMap = new Map<string, (string | number)[][]>()
  for (const c of keys.flatMap((k) => claimsOf(k, chain)).filter((c) => c.target === chain)) {
    const list = byMap.get(c.map) ?? []
    if (!list.some((k) => JSON.stringify(k) === JSON.stringify(c.key))) list.push(c.key)
    byMap.set(c.map, list)
  }
  return [MAP.ports4, MAP.ports6, MAP.v4, MAP.v6].filter((m) => byMap.has(m)).map((map) => ({ map, keys: byMap.get(map) ?? [] }))
}

/** elementCommands: `add element` for every claim of keys, one command per (map, target). */
const elementCommands = (keys: HostKey[], chain: string): NftCommand[] => {
  const groups = new Map<string, { map: string; target: string; elems: NftElement[]; seen: Set<string> }>()
  for (const c of keys.flatMap((k) => claimsOf(k, chain))) {
    const id = `${c.map}\0${c.target}`
    const g = groups.get(id) ?? { map: c.map, target: c.target, elems: [], seen: new Set<string>() }
    const k = JSON.stringify(c.key)
    if (!g.seen.has(k)) {
      g.seen.add(k)
      g.elems.push(gotoElem(c.key, c.target))
    }
    groups.set(id, g)
  }
  const order = [MAP.ports4, MAP.ports6, MAP.v4, MAP.v6]
  return [...groups.values()].sort((a, b) => order.indexOf(a.map as never) - order.indexOf(b.map as never))
    .map((g) => add(elementObj(T, g.map, g.elems)))
}

/**
 * podAddCommands: (re)create the attachment's chain with its rules (and the shared chains its
 * rules jump to), then claim its keys. A key held by someone else makes the batch fail with EEXIST.
 */
export const podAddCommands = (chain: string, rules: PodRule[], keys: HostKey[]): NftCommand[] => [
  ...sharedChainsOf(keys).map((c) => add(chainObj(T, c))),
  add(chainObj(T, chain)),
  flush(chainObj(T, chain)),
  ...rules.map((r) => add(ruleObj(T, chain, r.expr, r.comment))),
  ...elementCommands(keys, chain),
]

/** podDeleteCommands: owner-checked, idempotent removal of the attachment's elements and chain. */
export const podDeleteCommands = (chain: string, keys: HostKey[]): NftCommand[] => removeChain(T, chain, ownGroups(keys, chain))

/** podReleaseCommands: podDeleteCommands without the chain delete (the chain stays, empty and unreferenced). */
export const podReleaseCommands = (chain: string, keys: HostKey[]): NftCommand[] => releaseChain(T, chain, ownGroups(keys, chain))

/** keyReleaseCommands: owner-checked removal of some keys of a live chain (run-time unpublishing). */
export const keyReleaseCommands = (chain: string, keys: HostKey[]): NftCommand[] => releaseElements(T, chain, ownGroups(keys, chain))

/**
 * sharedReleaseCommands: the last holder's cleanup of a shared per-port chain: its `goto specificN`
 * element and the chain go, or the batch fails (EBUSY) because another holder still jumps to it.
 */
export const sharedReleaseCommands = (shared: string): NftCommand[] => {
  const p = parseSharedChainName(shared)
  if (!p) throw new Error(`not a shared chain name: ${shared}`)
  return releaseShared(T, shared, specificChain(p.fam), [{ map: portsMap(p.fam), keys: [[p.protocol, p.port]] }])
}
