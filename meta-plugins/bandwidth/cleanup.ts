// What DEL and GC remove for one attachment, found from its record (or, without one, from the
// derived ifb name and the veth peer): our redirect filter and root tbf on the host veth when it
// is still the veth ADD saw, the clsact qdisc when WE added it and nothing else is attached to
// it, the ifb, then the record. Only objects that are there are planned, so applying never
// fails on something already gone, and a second DEL plans nothing.
import type { ReadHost } from '../../src/host/types.js'
import { readLinkInfo, type LinkInfo } from '../../src/net/link.js'
import type { PlannedStep } from '../../src/plan/types.js'
import { readFilters, readQdiscs } from './observe.js'
import { FILTER_PREF, filtersAt, ingressQdisc, isOurRedirect, redirectDelArgs, rootState } from './tbf.js'

/** What is known about one attachment's objects. */
export interface CleanupTarget {
  /** the host veth, when it still exists and is the one ADD used */
  hostVeth?: { name: string; ifindex: number }
  /** the clsact qdisc is ours (recorded) */
  clsact: boolean
  /** the ifb, when it exists */
  ifb?: string
  /** the record to remove last */
  recordPath?: string
}

/** liveHostVeth returns the recorded host veth when a veth with that name AND ifindex is here. */
export const liveHostVeth = async (host: ReadHost, v: { name: string; ifindex: number }): Promise<LinkInfo | undefined> => {
  const link = await readLinkInfo(host, v.name, undefined)
  return link && link.kind === 'veth' && link.ifindex === v.ifindex ? link : undefined
}

/** liveIfb returns name when an ifb of that name exists here. */
export const liveIfb = async (host: ReadHost, name: string | undefined): Promise<string | undefined> => {
  if (name === undefined) return undefined
  const link = await readLinkInfo(host, name, undefined)
  return link?.kind === 'ifb' ? name : undefined
}

/** hostVethSteps: the tc commands that take our objects off a host veth (reads its qdiscs and filters). */
export const hostVethSteps = async (host: ReadHost, dev: string, ownClsact: boolean): Promise<PlannedStep[]> => {
  const [qdiscs, ingress, egress] = await Promise.all([
    readQdiscs(host, dev), readFilters(host, dev, 'ingress'), ownClsact ? readFilters(host, dev, 'egress') : [],
  ])
  if (!qdiscs) return []
  const steps: PlannedStep[] = []
  const ours = filtersAt(ingress, FILTER_PREF)
  const redirect = isOurRedirect(ours)
  if (redirect) steps.push({ kind: 'tc', args: redirectDelArgs(dev) })
  if (rootState(qdiscs).state === 'ours') steps.push({ kind: 'tc', args: ['qdisc', 'del', 'dev', dev, 'root'] })
  const othersLeft = ingress.some((f) => f.pref !== FILTER_PREF || !redirect) || egress.length > 0
  if (ownClsact && ingressQdisc(qdiscs) === 'clsact' && !othersLeft) steps.push({ kind: 'tc', args: ['qdisc', 'del', 'dev', dev, 'clsact'] })
  return steps
}

/**
 * cleanupSteps plans the removal of everything in `t`, in an order that never strands a redirect.
 * `vethSteps`: hostVethSteps for t.hostVeth, when the caller started those reads already.
 */
export const cleanupSteps = async (host: ReadHost, t: CleanupTarget, vethSteps?: Promise<PlannedStep[]>): Promise<PlannedStep[]> => {
  const steps: PlannedStep[] = t.hostVeth ? await (vethSteps ?? hostVethSteps(host, t.hostVeth.name, t.clsact)) : []
  if (t.ifb !== undefined) steps.push({ kind: 'ip', args: ['link', 'del', 'dev', t.ifb] })
  if (t.recordPath !== undefined) steps.push({ kind: 'remove-file', path: t.recordPath })
  return steps
}
