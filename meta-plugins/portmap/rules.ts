// The nft commands portmap writes: the constant skeleton (re-asserted by every ADD, O(1)) and one
// attachment's chain + map elements. Pure functions of the config: fixtures compare their output.
import {
  add, chainObj, concat, del, dnat, elementObj, fibDaddrType, flush, gotoElem, elemKey, jump, mapObj, markHas,
  markOr, markXor, masquerade, match, meta, payload, prefix, ret, ruleObj, tableObj, vmap, drop,
} from '../../src/nft/build.js'
import type { NftCommand } from '../../src/nft/types.js'
import { releaseChain, releaseElements, removeChain, type MapKeys } from '../../src/nft/ownership.js'
import type { PodAddress, PortMapping, PortmapConfig } from './config.js'
import {
  CHAIN, MAP, PRIO, TABLE, elemKeyParts, mapOfKey, masqChainName, ownerComment, type HostKey, type Owner,
} from './layout.js'

const T = TABLE
const L4_PORT = [meta('l4proto'), payload('th', 'dport')]

/** skeletonCommands: table, base chains, dispatch and maps; base/dispatch chains flushed and refilled. */
export const skeletonCommands = (cfg: Pick<PortmapConfig, 'snat' | 'markBit' | 'mark'>, localhost: boolean): NftCommand[] => {
  const local = match(fibDaddrType(), 'local')
  const cmds: NftCommand[] = [
    add(tableObj(T)),
    add(mapObj(T, MAP.any, ['inet_proto', 'inet_service'], 'verdict')),
    add(mapObj(T, MAP.v4, ['ipv4_addr', 'inet_proto', 'inet_service'], 'verdict')),
    add(mapObj(T, MAP.v6, ['ipv6_addr', 'inet_proto', 'inet_service'], 'verdict')),
    add(chainObj(T, CHAIN.dispatch)),
    add(chainObj(T, CHAIN.prerouting, { type: 'nat', hook: 'prerouting', prio: PRIO.dstnat })),
    add(chainObj(T, CHAIN.output, { type: 'nat', hook: 'output', prio: PRIO.dstnat })),
    flush(chainObj(T, CHAIN.dispatch)),
    flush(chainObj(T, CHAIN.prerouting)),
    flush(chainObj(T, CHAIN.output)),
    // a specific hostIP wins over the wildcard: its map is consulted first
    add(ruleObj(T, CHAIN.dispatch, [vmap(concat(payload('ip', 'daddr'), ...L4_PORT), MAP.v4)])),
    add(ruleObj(T, CHAIN.dispatch, [vmap(concat(payload('ip6', 'daddr'), ...L4_PORT), MAP.v6)])),
    add(ruleObj(T, CHAIN.dispatch, [vmap(concat(...L4_PORT), MAP.any)])),
    // only packets to this host: never transit traffic (CVE-2025-67499)
    add(ruleObj(T, CHAIN.prerouting, [local, jump(CHAIN.dispatch)])),
    // locally generated: IPv4 (127/8 is filtered per pod when snat is off), IPv6 except ::1
    add(ruleObj(T, CHAIN.output, [match(meta('nfproto'), 'ipv4'), local, jump(CHAIN.dispatch)])),
    add(ruleObj(T, CHAIN.output, [match(payload('ip6', 'daddr'), '::1', '!='), local, jump(CHAIN.dispatch)])),
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

/**
 * podRules: the expressions (and comments) of one attachment's chain, in order. Per family and
 * mapping: hairpin mark (pod subnet, or every source with masqAll), localhost mark (IPv4), DNAT.
 */
export const podRules = (cfg: PortmapConfig, owner: Owner): { expr: unknown[]; comment?: string }[] => {
  const rules: { expr: unknown[]; comment?: string }[] = []
  const fams: [4 | 6, PodAddress | undefined][] = [[4, cfg.podV4], [6, cfg.podV6]]
  for (const [fam, pod] of fams) {
    if (!pod) continue
    const ipProto = fam === 4 ? 'ip' : 'ip6'
    const nfproto = match(meta('nfproto'), fam === 4 ? 'ipv4' : 'ipv6')
    const conds = fam === 4 ? cfg.conditionsV4 : cfg.conditionsV6
    const mappings = cfg.mappings.filter((m) => appliesTo(m, fam))
    if (mappings.length === 0) continue
    // without snat, 127/8 cannot be answered: never DNAT it (the output hook sends it here)
    if (fam === 4 && !cfg.snat) rules.push({ expr: [match(payload('ip', 'daddr'), prefix('127.0.0.0', 8)), ret()] })
    for (const m of mappings) {
      const head = [
        nfproto,
        ...conds,
        ...(m.hostIP !== undefined ? [match(payload(ipProto, 'daddr'), m.hostIP)] : []),
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
  return rules
}

/** groupByMap: [map name, keys] for the maps that hold keys, in a fixed order. */
const groupByMap = (keys: HostKey[]): [string, HostKey[]][] =>
  [MAP.any, MAP.v4, MAP.v6].map((name): [string, HostKey[]] => [name, keys.filter((k) => mapOfKey(k) === name)]).filter(([, ks]) => ks.length > 0)

/** podAddCommands: (re)create the attachment's chain with its rules, then point its keys at it. */
export const podAddCommands = (chain: string, rules: { expr: unknown[]; comment?: string }[], keys: HostKey[]): NftCommand[] => [
  add(chainObj(T, chain)),
  flush(chainObj(T, chain)),
  ...rules.map((r) => add(ruleObj(T, chain, r.expr, r.comment))),
  ...groupByMap(keys).map(([name, ks]) => add(elementObj(T, name, ks.map((k) => gotoElem(elemKeyParts(k), chain))))),
]

/** mapKeys: the attachment's keys grouped by the verdict map that holds them. */
const mapKeys = (keys: HostKey[]): MapKeys[] => groupByMap(keys).map(([map, ks]) => ({ map, keys: ks.map(elemKeyParts) }))

/** podDeleteCommands: owner-checked, idempotent removal of the attachment's keys and chain. */
export const podDeleteCommands = (chain: string, keys: HostKey[]): NftCommand[] => removeChain(T, chain, mapKeys(keys))

/** podReleaseCommands: podDeleteCommands without the chain delete (the chain stays, empty and unreferenced). */
export const podReleaseCommands = (chain: string, keys: HostKey[]): NftCommand[] => releaseChain(T, chain, mapKeys(keys))

/** keyReleaseCommands: owner-checked removal of some keys of a live chain (run-time unpublishing). */
export const keyReleaseCommands = (chain: string, keys: HostKey[]): NftCommand[] => releaseElements(T, chain, mapKeys(keys))
