// Where the accept for our marked traffic goes. nftables cannot accept on another table's behalf
// (an accept ends only its own base chain; a drop anywhere is final), so our table enforces the
// policies and marks what it allows, and each backend makes the node's own drop let the mark pass:
//   iptables  — one static rule per family in FORWARD or DOCKER-USER (iptables-rules.ts)
//   firewalld — the pod addresses as runtime sources of a zone (default `trusted`), as the reference
//   nftables  — nothing outside our table; an admin's own nft drop needs one documented line
// Chosen automatically when `backend` is empty: firewalld when its table `inet firewalld` exists
// (one `nft list tables`), else iptables when the iptables tool exists, else nftables.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import type { PlannedStep } from '../../src/plan/types.js'
import type { Backend, FirewallConfig } from './config.js'
import { planIptables, parseRules, problems } from './iptables-rules.js'
import type { PodAddrs } from './rules.js'

/** chooseBackend: the configured backend, or the one this node calls for (see the file comment). */
export const chooseBackend = async (cfg: Pick<FirewallConfig, 'backend'>, host: ReadHost): Promise<Backend> => {
  if (cfg.backend) return cfg.backend
  const tables = (await host.nft.list(['tables'])) ?? []
  if (tables.some((o) => o.table?.family === 'inet' && o.table?.name === 'firewalld')) return 'firewalld'
  if (host.iptables && (await host.iptables.available(4))) return 'iptables'
  return 'nftables'
}

const families = (addrs: PodAddrs): (4 | 6)[] => [...(addrs.v4.length > 0 ? [4 as const] : []), ...(addrs.v6.length > 0 ? [6 as const] : [])]

/** sourceOf: a pod address as a firewalld source (a host prefix). */
export const sourceOf = (addr: string): string => (addr.includes(':') ? `${addr}/128` : `${addr}/32`)

const sources = (addrs: PodAddrs): string[] => [...addrs.v4, ...addrs.v6].map(sourceOf)

const iptablesOf = (host: ReadHost) => {
  if (!host.iptables) throw new CniError(ErrorCode.Internal, 'firewall: backend iptables needs the iptables host seam')
  return host.iptables
}

/**
 * backendAddSteps: what ADD needs outside our table. iptables: the static rule where missing, per
 * family of the pod (with backend chosen automatically, a family without its tool is skipped: there
 * is no iptables drop to pass there). firewalld: each address as a source of the zone.
 */
export const backendAddSteps = async (backend: Backend, explicit: boolean, cfg: Pick<FirewallConfig, 'mark' | 'adminChain' | 'zone'>, addrs: PodAddrs, host: ReadHost): Promise<PlannedStep[]> => {
  if (backend === 'firewalld') {
    return sources(addrs).map((source) => ({
      kind: 'firewalld', op: 'add-source', zone: cfg.zone, source,
      undo: [{ kind: 'firewalld', op: 'remove-source', zone: cfg.zone, source }],
    }))
  }
  if (backend !== 'iptables') return []
  const ipt = iptablesOf(host)
  const steps: PlannedStep[] = []
  for (const fam of families(addrs)) {
    if (!(await ipt.available(fam))) {
      if (!explicit) continue
      throw new CniError(ErrorCode.Internal, `firewall: backend iptables, but ${fam === 6 ? 'ip6tables' : 'iptables'} is not installed`)
    }
    steps.push(...planIptables(fam, await ipt.rules(fam), cfg.mark, cfg.adminChain))
  }
  return steps
}

/** backendDelSteps: firewalld sources go with the pod (best effort); the iptables rules are static. */
export const backendDelSteps = (backend: Backend, zone: string, addrs: PodAddrs): PlannedStep[] =>
  backend === 'firewalld'
    ? sources(addrs).map((source) => ({ kind: 'firewalld', op: 'remove-source', zone, source, ignoreFailure: true }))
    : []

/** backendProblems: what CHECK finds missing outside our table ([] when all is well). */
export const backendProblems = async (backend: Backend, cfg: Pick<FirewallConfig, 'mark' | 'adminChain' | 'zone'>, addrs: PodAddrs, host: ReadHost): Promise<string[]> => {
  if (backend === 'firewalld') {
    if (!host.firewalld) return ['no firewalld host seam']
    const out: string[] = []
    for (const source of sources(addrs)) {
      if (!(await host.firewalld.querySource(cfg.zone, source))) out.push(`${source} is not a source of firewalld zone ${cfg.zone}`)
    }
    return out
  }
  if (backend !== 'iptables') return []
  const ipt = iptablesOf(host)
  const out: string[] = []
  for (const fam of families(addrs)) {
    if (!(await ipt.available(fam))) continue
    out.push(...problems(parseRules(await ipt.rules(fam)), cfg.mark, cfg.adminChain).map((p) => `${fam === 6 ? 'ip6tables' : 'iptables'}: ${p}`))
  }
  return out
}
