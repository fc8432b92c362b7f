// What `cni-chain doctor` says about a node: every forward-hook base chain (ip, ip6, inet) that
// drops — its policy is drop, or one of its own rules drops or rejects — and what cni-chain does
// about it. A drop in any table is final for a packet, and our accept cannot override it, so each
// one needs the node's owner to let our mark through (README "Where the node's drop lives").
// Pure: the CLI lists the chains (`nft -j list chains`, then each dropping candidate) and prints.
import type { NftObject } from '../../src/nft/types.js'
import { listedRules, type ListedRule } from '../../src/nft/read.js'
import { DOCKER_USER, markArg } from './iptables-rules.js'
import { IPT_CHAIN, TABLE } from './layout.js'

/** A forward-hook base chain as `nft -j list chains` prints it. */
export interface HookChain {
  family: string
  table: string
  name: string
  prio: number
  policy: string
}

export interface Finding {
  chain: HookChain
  /** "policy drop", "2 drop rules (handles 4, 9)", ... */
  drops: string
  /** who owns it, as far as we can tell */
  kind: 'iptables' | 'cni-chain' | 'firewalld' | 'docker-nftables' | 'nftables'
  /** what cni-chain does about it (or what the admin should do) */
  action: string
  /** the rule that lets our mark through, when there is one */
  acceptHandle?: number
}

/** forwardChains: the forward-hook base chains of families that see routed IPv4/IPv6. */
export const forwardChains = (objs: readonly NftObject[]): HookChain[] =>
  objs.flatMap((o) => {
    const c = o.chain
    if (!c || c.hook !== 'forward' || !['ip', 'ip6', 'inet'].includes(String(c.family))) return []
    return [{ family: String(c.family), table: String(c.table), name: String(c.name), prio: Number(c.prio ?? 0), policy: String(c.policy ?? 'accept') }]
  })

const isDrop = (e: unknown): boolean => typeof e === 'object' && e !== null && ('drop' in e || 'reject' in e)

/** dropsOf describes how a chain drops, or undefined when it does not. */
export const dropsOf = (chain: HookChain, rules: readonly ListedRule[]): string | undefined => {
  const handles = rules.filter((r) => r.expr.some(isDrop)).map((r) => r.handle ?? -1)
  const parts = [
    ...(chain.policy === 'drop' ? ['policy drop'] : []),
    ...(handles.length > 0 ? [`${handles.length} drop rule${handles.length > 1 ? 's' : ''} (handle${handles.length > 1 ? 's' : ''} ${handles.join(', ')})`] : []),
  ]
  return parts.length > 0 ? parts.join(', ') : undefined
}

const hasMarkMatch = (expr: unknown[], mark: number): boolean => expr.some((e) => JSON.stringify(e) === JSON.stringify({ match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, mark] }, right: mark } }))
const target = (expr: unknown[]): string | undefined => {
  for (const e of expr) {
    const t = (e as { jump?: { target?: string }; goto?: { target?: string } }).jump?.target ?? (e as { goto?: { target?: string } }).goto?.target
    if (t !== undefined) return t
  }
  return undefined
}

/** markAccept finds a rule that accepts (or sends to our iptables chain) traffic carrying mark. */
export const markAccept = (rules: readonly ListedRule[], mark: number): ListedRule | undefined =>
  rules.find((r) => hasMarkMatch(r.expr, mark) && (r.expr.some((e) => typeof e === 'object' && e !== null && 'accept' in e) || target(r.expr) === IPT_CHAIN))

/**
 * diagnose turns the dropping chains into findings. `rulesOf` gives a chain's rules (and for
 * iptables-nft tables, DOCKER-USER's) as listed; `mark` is the accept mark in use.
 */
export const diagnose = (chains: readonly HookChain[], rulesOf: (family: string, table: string, chain: string) => ListedRule[], mark: number): Finding[] => {
  const hex = `0x${mark.toString(16)}`
  const out: Finding[] = []
  for (const chain of chains) {
    const rules = rulesOf(chain.family, chain.table, chain.name)
    const drops = dropsOf(chain, rules)
    if (!drops) continue
    const where = `${chain.family} ${chain.table} ${chain.name}`
    if (chain.family === TABLE.family && chain.table === TABLE.table) {
      out.push({ chain, drops, kind: 'cni-chain', action: 'cni-chain\'s own table: its drops are the ingressPolicy isolation' })
      continue
    }
    if ((chain.family === 'ip' || chain.family === 'ip6') && chain.table === 'filter' && chain.name === 'FORWARD') {
      const tool = chain.family === 'ip6' ? 'ip6tables' : 'iptables'
      const inUser = markAccept(rulesOf(chain.family, 'filter', DOCKER_USER), mark)
      const inForward = markAccept(rules, mark)
      const found = inUser ?? inForward
      const action = found
        ? `cni-chain accepts marked pod traffic with rule handle ${found.handle ?? '?'}${inUser ? ` in ${DOCKER_USER}` : ''} (${tool} -m mark --mark ${markArg(mark)} -j ${IPT_CHAIN})`
        : `no cni-chain rule yet: the next firewall ADD with backend iptables (or chosen automatically) inserts ${tool} -I FORWARD 1 -m mark --mark ${markArg(mark)} -j ${IPT_CHAIN} (in ${DOCKER_USER} when it exists)`
      out.push({ chain, drops: `${drops} (${tool}-nft)`, kind: 'iptables', action, ...(found?.handle !== undefined ? { acceptHandle: found.handle } : {}) })
      continue
    }
    const own = markAccept(rules, mark)
    if (chain.family === 'inet' && chain.table === 'firewalld') {
      out.push({ chain, drops, kind: 'firewalld', action: 'firewalld: backend firewalld (chosen automatically while this table exists) adds each pod address as a runtime source of firewalldZone (default trusted); published ports pass its `ct status dnat accept` unless StrictForwardPorts=yes' })
    } else if ((chain.family === 'ip' || chain.family === 'ip6') && chain.table === 'docker-bridges') {
      out.push({ chain, drops, kind: 'docker-nftables', action: `Docker's nftables backend: run dockerd with --bridge-accept-fwmark=${hex} (our mark is set at priority -10, before Docker's chains)` })
    } else if (own) {
      out.push({ chain, drops, kind: 'nftables', action: `accepts cni-chain's mark with rule handle ${own.handle ?? '?'}`, ...(own.handle !== undefined ? { acceptHandle: own.handle } : {}) })
    } else {
      out.push({ chain, drops, kind: 'nftables', action: `not managed by cni-chain: add one line before the drop: nft insert rule ${where} meta mark and ${hex} == ${hex} accept` })
    }
  }
  return out
}

/** renderFindings: the doctor's text output. */
export const renderFindings = (findings: readonly Finding[], mark: number): string => {
  if (findings.length === 0) return `no forward-hook chain drops: pod traffic is forwarded as routing allows (cni-chain's accept mark ${`0x${mark.toString(16)}`} is not needed)\n`
  return [`forward-hook chains that drop (cni-chain's accept mark 0x${mark.toString(16)}):`,
    ...findings.map((f) => `- ${f.chain.family} ${f.chain.table} ${f.chain.name} (priority ${f.chain.prio}) ${f.drops}: ${f.action}`)].join('\n') + '\n'
}

/** rulesFrom: the rules of one chain out of a listing (helper for callers holding `nft -j list chain` output). */
export const rulesFrom = (objs: readonly NftObject[] | undefined, chain: string): ListedRule[] => listedRules(objs ?? [], chain)
