// The iptables side of the `iptables` backend: where the node drops forwarded traffic in iptables
// (Docker's `iptables -P FORWARD DROP`, iptables-nft or legacy), ONE static rule per family and
// mark sends the traffic our nft table marked to our chain, which asks the admin chain first and
// then accepts:
//
//   -A DOCKER-USER|FORWARD -m mark --mark M/M -m comment --comment "cni-chain firewall: ..." -j CNI-CHAIN-FORWARD
//   -A CNI-CHAIN-FORWARD -j CNI-ADMIN        (the admin's chain: created when missing, never flushed)
//   -A CNI-CHAIN-FORWARD -j ACCEPT
//
// Pure: planIptables reads `iptables -S` lines and returns the commands still missing (none on a
// node where an earlier ADD installed them: the usual case costs one `iptables -S` per family).
// These rules are static and shared by every pod: DEL and GC never remove them.
import type { PlannedStep } from '../../src/plan/types.js'
import { IPT_CHAIN, IPT_COMMENT } from './layout.js'

/** Docker's chain for user rules; when it exists the static rule goes there, else into FORWARD. */
export const DOCKER_USER = 'DOCKER-USER'

/** markArg is the mark as iptables prints it: 0x1000/0x1000. */
export const markArg = (mark: number): string => `0x${mark.toString(16)}/0x${mark.toString(16)}`

/** jumpSpec: the static rule's match and target (after `-A CHAIN` / `-I CHAIN 1`). */
export const jumpSpec = (mark: number): string[] =>
  ['-m', 'mark', '--mark', markArg(mark), '-m', 'comment', '--comment', IPT_COMMENT, '-j', IPT_CHAIN]

export interface IptablesView {
  chains: Set<string>
  /** the -A lines */
  rules: string[]
}

/** parseRules reads `iptables -S` output. */
export const parseRules = (lines: readonly string[]): IptablesView => ({
  chains: new Set(lines.flatMap((l) => (/^-N (\S+)$/.exec(l.trim())?.slice(1, 2) ?? []))),
  rules: lines.map((l) => l.trim()).filter((l) => l.startsWith('-A ')),
})

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** staticRuleChain: the chain (FORWARD or DOCKER-USER) holding the static rule for mark, if any. */
export const staticRuleChain = (view: IptablesView, mark: number): string | undefined => {
  const re = new RegExp(`^-A (FORWARD|${DOCKER_USER}) (?:.* )?--mark ${escape(markArg(mark))} (?:.* )?-j ${escape(IPT_CHAIN)}$`)
  for (const r of view.rules) {
    const m = re.exec(r)
    if (m) return m[1]
  }
  return undefined
}

const hasRule = (view: IptablesView, chain: string, target: string): boolean => view.rules.includes(`-A ${chain} -j ${target}`)

/** problems: what is missing for mark and adminChain ([] when everything is in place); for CHECK. */
export const problems = (view: IptablesView, mark: number, adminChain: string): string[] => {
  const out: string[] = []
  if (!staticRuleChain(view, mark)) out.push(`no rule in FORWARD or ${DOCKER_USER} sends mark ${markArg(mark)} to ${IPT_CHAIN}`)
  if (!hasRule(view, IPT_CHAIN, adminChain)) out.push(`${IPT_CHAIN} does not jump to the admin chain ${adminChain}`)
  if (!hasRule(view, IPT_CHAIN, 'ACCEPT')) out.push(`${IPT_CHAIN} does not accept`)
  return out
}

/**
 * planIptables returns the iptables steps still needed in one family. Creating chains tolerates
 * "already exists" (a concurrent ADD); inserts re-check with -C right before (`unless`), so two
 * ADDs racing leave one rule in all but a millisecond-wide window.
 */
export const planIptables = (family: 4 | 6, lines: readonly string[], mark: number, adminChain: string): PlannedStep[] => {
  const view = parseRules(lines)
  const steps: PlannedStep[] = []
  const step = (args: string[], unless?: string[]): PlannedStep => ({ kind: 'iptables', family, args, ...(unless ? { unless } : {}) })
  if (!view.chains.has(adminChain)) steps.push({ ...step(['-N', adminChain]), ignoreFailure: true })
  if (!view.chains.has(IPT_CHAIN)) steps.push({ ...step(['-N', IPT_CHAIN]), ignoreFailure: true })
  if (!hasRule(view, IPT_CHAIN, 'ACCEPT')) steps.push(step(['-A', IPT_CHAIN, '-j', 'ACCEPT'], [IPT_CHAIN, '-j', 'ACCEPT']))
  // the admin chain comes first: its DROPs (and ACCEPTs) win over ours
  if (!hasRule(view, IPT_CHAIN, adminChain)) steps.push(step(['-I', IPT_CHAIN, '1', '-j', adminChain], [IPT_CHAIN, '-j', adminChain]))
  if (!staticRuleChain(view, mark)) {
    const where = view.chains.has(DOCKER_USER) ? DOCKER_USER : 'FORWARD'
    steps.push(step(['-I', where, '1', ...jumpSpec(mark)], [where, ...jumpSpec(mark)]))
  }
  return steps
}
