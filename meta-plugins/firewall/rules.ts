// The nft commands the firewall writes: the constant skeletons (written with their stamp when it is
// missing, src/nft/stamp.ts),
// one bridge's isolation chain, and one attachment's chains and map elements. Pure functions of
// the config: unit tests compare their output.
import {
  add, chainObj, ct, drop, elementObj, flush, jumpElem, gotoElem, inSet, jump, mapObj, markOr, match, meta, payload, ret, ruleObj,
  tableObj, vmap, del,
} from '../../src/nft/build.js'
import { releaseChain, removeChain, type MapKeys } from '../../src/nft/ownership.js'
import { stampAssert, stamped } from '../../src/nft/stamp.js'
import type { NftCommand, NftStatement } from '../../src/nft/types.js'
import { BRIDGE_TABLE, CHAIN, MAP, PRIO, TABLE, isoChainName, ownerComment, type IngressPolicy, type Owner } from './layout.js'


/** A pod's addresses by family. */
export interface PodAddrs {
  v4: string[]
  v6: string[]
}


/** dispatchRules: the four lookups of a forward chain (destination first: isolation drops early). */
const dispatchRules = (t: typeof TABLE): NftCommand[] => [
  add(ruleObj(t, CHAIN.forward, [vmap(payload('ip', 'daddr'), MAP.v4)])),
  add(ruleObj(t, CHAIN.forward, [vmap(payload('ip6', 'daddr'), MAP.v6)])),
  add(ruleObj(t, CHAIN.forward, [vmap(payload('ip', 'saddr'), MAP.v4)])),
  add(ruleObj(t, CHAIN.forward, [vmap(payload('ip6', 'saddr'), MAP.v6)])),
]

/** skeletonCommands: the inet table, its maps and the forward chain (flushed and refilled). */
export const skeletonCommands = (): NftCommand[] => [
  add(tableObj(TABLE)),
  add(mapObj(TABLE, MAP.v4, ['ipv4_addr'], 'verdict')),
  add(mapObj(TABLE, MAP.v6, ['ipv6_addr'], 'verdict')),
  add(mapObj(TABLE, MAP.isolated, ['ifname'], 'verdict')),
  add(chainObj(TABLE, CHAIN.forward, { type: 'filter', hook: 'forward', prio: PRIO.forward })),
  flush(chainObj(TABLE, CHAIN.forward)),
  ...dispatchRules(TABLE),
]

/** bridgeSkeletonCommands: the same for the bridge-family table (isolated pods only). */
export const bridgeSkeletonCommands = (): NftCommand[] => [
  add(tableObj(BRIDGE_TABLE)),
  add(mapObj(BRIDGE_TABLE, MAP.v4, ['ipv4_addr'], 'verdict')),
  add(mapObj(BRIDGE_TABLE, MAP.v6, ['ipv6_addr'], 'verdict')),
  add(chainObj(BRIDGE_TABLE, CHAIN.forward, { type: 'filter', hook: 'forward', prio: PRIO.bridgeForward })),
  flush(chainObj(BRIDGE_TABLE, CHAIN.forward)),
  ...dispatchRules(BRIDGE_TABLE),
]

/**
 * isolationCommands: the bridge's shared isolation chain (flushed and refilled) and its entry in
 * `isolated`. The chain drops what enters from another isolated bridge; traffic from the bridge
 * itself, or from anywhere else, goes on. Pods on the bridge jump here, so the kernel refuses to
 * delete the chain (EBUSY) while any of them exists.
 */
export const isolationCommands = (bridge: string): NftCommand[] => {
  const chain = isoChainName(bridge)
  return [
    add(chainObj(TABLE, chain)),
    flush(chainObj(TABLE, chain)),
    add(ruleObj(TABLE, chain, [match(meta('iifname'), bridge), ret()])),
    add(ruleObj(TABLE, chain, [vmap(meta('iifname'), MAP.isolated)])),
    add(elementObj(TABLE, MAP.isolated, [[bridge, drop()]])),
  ]
}

/**
 * isolationRemoveCommands: the bridge's isolation chain and entry, in one transaction that fails
 * with EBUSY (and so changes nothing) while a pod chain still jumps to the chain. Run it on its
 * own, after the pod's removal, with failure ignored: the last pod's DEL is the one that succeeds.
 */
export const isolationRemoveCommands = (bridge: string): NftCommand[] => {
  const chain = isoChainName(bridge)
  return [
    // create-then-delete keeps the batch valid when they are gone already
    add(elementObj(TABLE, MAP.isolated, [[bridge, drop()]])),
    add(chainObj(TABLE, chain)),
    del(elementObj(TABLE, MAP.isolated, [bridge])),
    flush(chainObj(TABLE, chain)),
    del(chainObj(TABLE, chain)),
  ]
}

/** One rule of an attachment chain. */
export interface PodRule {
  expr: NftStatement[]
  comment?: string
}

/**
 * podRules: the attachment chain in the inet table. Per address: to the pod — the isolation jump
 * (same-bridge, isolated), then the mark for replies (established, related) and for connections
 * that came through a published port (ct status dnat); from the pod — the mark, with the owner
 * comment. Other new connections to the pod get no mark: where the node drops forwarded traffic,
 * they stay dropped.
 */
export const podRules = (addrs: PodAddrs, policy: IngressPolicy, bridge: string | undefined, mark: number, owner: Owner): PodRule[] => {
  const rules: PodRule[] = []
  const comment = ownerComment(owner, policy)
  const fams: ['ip' | 'ip6', string[]][] = [['ip', addrs.v4], ['ip6', addrs.v6]]
  for (const [proto, list] of fams) {
    for (const addr of list) {
      const to = match(payload(proto, 'daddr'), addr)
      if (policy !== 'open' && bridge !== undefined) rules.push({ expr: [to, jump(isoChainName(bridge))] })
      rules.push({ expr: [to, inSet(ct('state'), ['established', 'related']), markOr(mark)] })
      rules.push({ expr: [to, inSet(ct('status'), 'dnat'), markOr(mark)] })
      rules.push({ expr: [match(payload(proto, 'saddr'), addr), markOr(mark)], comment })
    }
  }
  return rules
}

/** bridgePodRules: the attachment chain in the bridge table (isolated): every bridged frame to or from the pod is dropped. */
export const bridgePodRules = (owner: Owner): PodRule[] => [{ expr: [drop()], comment: ownerComment(owner, 'isolated') }]

/** mapKeys: the attachment's map elements (address → jump in inet, goto in bridge). */
export const mapKeys = (addrs: PodAddrs, verdict: 'jump' | 'goto'): MapKeys[] =>
  [{ map: MAP.v4, keys: addrs.v4.map((a) => [a]), verdict }, { map: MAP.v6, keys: addrs.v6.map((a) => [a]), verdict }]
    .filter((g) => g.keys.length > 0)

/** chainAddCommands: (re)create an attachment chain in table t with its rules, then point the pod's addresses at it. */
export const chainAddCommands = (t: typeof TABLE, chain: string, rules: PodRule[], addrs: PodAddrs, verdict: 'jump' | 'goto'): NftCommand[] => [
  add(chainObj(t, chain)),
  flush(chainObj(t, chain)),
  ...rules.map((r) => add(ruleObj(t, chain, r.expr, r.comment))),
  ...mapKeys(addrs, verdict).map((g) => add(elementObj(t, g.map, g.keys.map((k) => (verdict === 'jump' ? jumpElem(k, chain) : gotoElem(k, chain)))))),
]

/** chainRemoveCommands: owner-checked, idempotent removal of an attachment chain and its elements from table t. */
export const chainRemoveCommands = (t: typeof TABLE, chain: string, addrs: PodAddrs, verdict: 'jump' | 'goto'): NftCommand[] =>
  removeChain(t, chain, mapKeys(addrs, verdict))

/** chainReleaseCommands: chainRemoveCommands without the chain delete (the chain stays, empty and unreferenced). */
export const chainReleaseCommands = (t: typeof TABLE, chain: string, addrs: PodAddrs, verdict: 'jump' | 'goto'): NftCommand[] =>
  releaseChain(t, chain, mapKeys(addrs, verdict))

/**
 * sharedCommands: what an attachment needs besides its own chains: the inet skeleton, the bridge's
 * isolation chain (same-bridge, isolated) and the bridge-family skeleton (isolated). Written with
 * one stamp (src/nft/stamp.ts); the last pod's DEL removing the isolation chain makes the next
 * ADD's fast transaction fail on its jump (ENOENT), so the whole batch re-creates it.
 */
export const sharedCommands = (policy: IngressPolicy, bridge: string | undefined): NftCommand[] => [
  ...skeletonCommands(),
  ...(policy !== 'open' && bridge !== undefined ? isolationCommands(bridge) : []),
  ...(policy === 'isolated' ? bridgeSkeletonCommands() : []),
]

/** podOwnCommands: the attachment's chains and elements in both tables (the bridge table only for `isolated`). */
export const podOwnCommands = (chain: string, addrs: PodAddrs, policy: IngressPolicy, bridge: string | undefined, mark: number, owner: Owner): NftCommand[] => [
  ...chainAddCommands(TABLE, chain, podRules(addrs, policy, bridge, mark, owner), addrs, 'jump'),
  ...(policy === 'isolated' ? chainAddCommands(BRIDGE_TABLE, chain, bridgePodRules(owner), addrs, 'goto') : []),
]

/** podAddCommands: the shared objects with their stamp, then the attachment (the whole ADD batch). */
export const podAddCommands = (chain: string, addrs: PodAddrs, policy: IngressPolicy, bridge: string | undefined, mark: number, owner: Owner): NftCommand[] => {
  return [...stamped(TABLE, sharedCommands(policy, bridge)), ...podOwnCommands(chain, addrs, policy, bridge, mark, owner)]
}

/** podAddFastCommands: the same when the stamp exists (the shared objects are not re-declared). */
export const podAddFastCommands = (chain: string, addrs: PodAddrs, policy: IngressPolicy, bridge: string | undefined, mark: number, owner: Owner): NftCommand[] =>
  [stampAssert(TABLE, sharedCommands(policy, bridge)), ...podOwnCommands(chain, addrs, policy, bridge, mark, owner)]

/** podRemoveCommands: the attachment's chains and elements gone from both tables (bridge table when `bridgeToo`). */
export const podRemoveCommands = (chain: string, addrs: PodAddrs, bridgeToo: boolean): NftCommand[] => [
  ...chainRemoveCommands(TABLE, chain, addrs, 'jump'),
  ...(bridgeToo ? chainRemoveCommands(BRIDGE_TABLE, chain, addrs, 'goto') : []),
]
