// Applying the plans of one segment (consecutive built-in sub-plugins) as one merged plan
// (merge-plans.ts), and what happens when that fails.
//  - ADD: the steps that took effect go to the ADD's journal; on failure the caller rolls the whole
//    chain ADD back and then asks the plugin(s) whose step failed to explain (`recover`), so a
//    portmap conflict still names the port's owner. Nothing is re-applied: a merged transaction
//    fails exactly where the same batches applied one after the other would, and the merge keeps
//    track of which plugin each step serves, so the culprit is known without a retry.
//  - DEL, GC: the plans before the culprit are done; what ran of the others is undone and each of
//    them is applied alone with its `recover` (portmap retries DEL without foreign keys): DEL
//    stops at the first that still fails (the spec halts a DEL there), GC collects every failure.
import { CniError, asCniError } from '../../src/cni/errors.js'
import type { Host } from '../../src/host/types.js'
import { runPlan, undoApplied, type PlanRun } from '../../src/plan/apply.js'
import { applyWithRecovery, recoverOrExplain, type MetaPlugin, type PlannedVerb, type Warn } from '../../src/plan/meta-plugin.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import { withUndoFailures } from '../../src/plan/undo.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { pluginDescription, wrapPluginError } from '../errors.js'
import type { AddJournal } from './add-journal.js'
import { mergePlans } from './merge-plans.js'

/** A built-in sub-plugin's plan with the request it was made for. */
export interface Planned {
  meta: MetaPlugin
  req: PluginRequest
  plan: Plan
}

/** SegmentFailure: a segment's merged ADD plan failed; `culprits` are the plans its failed step served. */
export class SegmentFailure extends Error {
  readonly culprits: Planned[]
  readonly error: unknown

  constructor(culprits: Planned[], error: unknown) {
    super(error instanceof Error ? error.message : String(error))
    this.name = 'SegmentFailure'
    this.culprits = culprits
    this.error = error
  }
}

const ownersOf = (owners: number[][], steps: number[]): number[] =>
  [...new Set(steps.flatMap((i) => owners[i] ?? []))].sort((a, b) => a - b)

/** warnAll tells what the applied plans left undone: each plan's notes, then its reported step failures. */
const warnAll = (items: Planned[], owners: number[][], run: PlanRun, done: number, warn: Warn): void => {
  items.slice(0, done).forEach((item, p) => {
    for (const note of item.plan.notes ?? []) warn(`${item.meta.type}: ${note}`)
    for (const w of run.warnings) if ((owners[w.at] ?? [])[0] === p) warn(`${item.meta.type}: ${w.text}`)
  })
}

/** applySegmentAdd applies the segment's ADD plans merged; throws SegmentFailure (nothing undone). */
export const applySegmentAdd = async (items: Planned[], journal: AddJournal, host: Host, warn: Warn): Promise<void> => {
  const { plan, owners } = mergePlans(items.map((i) => i.plan))
  const run = await runPlan(plan, host)
  journal.applied(run.applied.map((i) => plan.steps[i] as PlannedStep))
  if (!run.ok) throw new SegmentFailure(ownersOf(owners, run.failed).map((p) => items[p] as Planned), run.error)
  warnAll(items, owners, run, items.length, warn)
}

/**
 * explainSegmentFailure (after the rollback): the first clearer error a culprit's recover throws,
 * else the original error naming the culprit(s). The host is already as it was before the ADD.
 */
export const explainSegmentFailure = async (failure: SegmentFailure, name: string, host: Host): Promise<CniError> => {
  for (const c of failure.culprits) {
    try {
      await recoverOrExplain(c.meta, 'ADD', c.req, host, c.plan, failure.error)
    } catch (clearer) {
      if (clearer !== failure.error) return wrapPluginError(clearer, 'ADD', c.meta.type, name)
    }
  }
  const [only] = failure.culprits
  if (failure.culprits.length === 1 && only) return wrapPluginError(failure.error, 'ADD', only.meta.type, name)
  // a merged nft transaction of several plugins: name them all
  const e = asCniError(failure.error)
  const who = failure.culprits.map((c) => pluginDescription(c.meta.type)).join(', ')
  return new CniError(e.code, `plugins ${who} name=${JSON.stringify(name)} failed (add) in one nft transaction: ${e.msg}`, e.details)
}

/** applySegmentCleanup applies DEL or GC plans merged; see the file comment. Returns the failures (one with `halt`). */
export const applySegmentCleanup = async (items: Planned[], verb: Exclude<PlannedVerb, 'ADD'>, name: string, host: Host, warn: Warn, halt: boolean): Promise<CniError[]> => {
  const { plan, owners } = mergePlans(items.map((i) => i.plan))
  const run = await runPlan(plan, host)
  if (run.ok) {
    warnAll(items, owners, run, items.length, warn)
    return []
  }
  const first = ownersOf(owners, run.failed)[0] ?? 0
  warnAll(items, owners, run, first, warn)
  // every step of the plans before `first` ran; undo what ran of the rest before applying them alone
  const partial = run.applied.filter((i) => (owners[i] ?? []).some((p) => p >= first)).map((i) => plan.steps[i] as PlannedStep)
  const undoFailures = await undoApplied(partial, host)
  const errors: CniError[] = []
  for (const { meta, req, plan: own } of items.slice(first)) {
    try {
      const { warnings } = await applyWithRecovery(meta, verb, req, host, own)
      for (const w of warnings) warn(`${meta.type}: ${w}`)
    } catch (err) {
      errors.push(wrapPluginError(err, verb, meta.type, name))
      if (halt) break
    }
  }
  // an undo that failed matters only if a plan then failed too (otherwise it was applied again whole)
  const [head, ...rest] = errors
  return head ? [asCniError(withUndoFailures(head, undoFailures)), ...rest] : []
}
