// Applying the plans of one segment (consecutive built-in sub-plugins) as one merged plan
// (merge-plans.ts: the plans' steps interleaved so their nft work commits in one transaction; run
// with the plugins side by side between shared steps, run-lanes.ts), and what happens when that fails.
//  - ADD: the steps that took effect go to the ADD's journal; on failure the caller rolls the whole
//    chain ADD back and then asks the plugin(s) whose step failed to explain (`recover`), so a
//    portmap conflict still names the port's owner. Nothing is re-applied: a merged transaction
//    fails exactly where the same batches applied one after the other would, and the merge keeps
//    track of which plugin each step serves, so the culprit is known without a retry.
//  - DEL, GC: steps of several plans are interleaved, so a failure can leave any of them half done.
//    A plan is complete when all of its steps were run through (applied, skipped by their guard,
//    or a best-effort failure); those are done. What ran of every other
//    plan is undone, then each of them is applied alone, in order, with its `recover` (portmap
//    retries DEL without foreign keys): DEL stops at the first that still fails (the spec halts a
//    DEL there), GC collects every failure. A complete plan that comes later in DEL order than one
//    that failed has already done its DEL; DEL is idempotent, so the runtime's retry is harmless.
import { CniError, asCniError } from '../../src/cni/errors.js'
import type { Host } from '../../src/host/types.js'
import { undoApplied, type PlanRun } from '../../src/plan/apply.js'
import { applyWithRecovery, recoverOrExplain, type MetaPlugin, type PlannedVerb, type Warn } from '../../src/plan/meta-plugin.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import { withUndoFailures } from '../../src/plan/undo.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { pluginDescription, wrapPluginError } from '../errors.js'
import type { AddJournal } from './add-journal.js'
import { mergePlans } from './merge-plans.js'
import { runLanes } from './run-lanes.js'

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

/** warnAll tells what the `done` plans left undone: each one's notes, then its reported step failures. */
const warnAll = (items: Planned[], owners: number[][], run: PlanRun, done: (p: number) => boolean, warn: Warn): void => {
  items.forEach((item, p) => {
    if (!done(p)) return
    for (const note of item.plan.notes ?? []) warn(`${item.meta.type}: ${note}`)
    // best-effort steps are never merged: a warning's step serves one plan
    for (const w of run.warnings) if ((owners[w.at] ?? []).includes(p)) warn(`${item.meta.type}: ${w.text}`)
  })
}

/** applySegmentAdd applies the segment's ADD plans merged; throws SegmentFailure (nothing undone). */
export const applySegmentAdd = async (items: Planned[], journal: AddJournal, host: Host, warn: Warn): Promise<void> => {
  const merged = mergePlans(items.map((i) => i.plan))
  const { plan, owners } = merged
  const { run } = await runLanes(merged, host)
  journal.applied(run.applied.map((i) => plan.steps[i] as PlannedStep))
  if (!run.ok) throw new SegmentFailure(ownersOf(owners, run.failed).map((p) => items[p] as Planned), run.error)
  warnAll(items, owners, run, () => true, warn)
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
  const merged = mergePlans(items.map((i) => i.plan))
  const { owners, parts } = merged
  const { run, done } = await runLanes(merged, host)
  if (run.ok) {
    warnAll(items, owners, run, () => true, warn)
    return []
  }
  // a plan with a step that was not run through (applied, skipped, best-effort) is incomplete
  const incomplete = new Set(parts.flatMap((refs, i) => (done.has(i) ? [] : refs.map((r) => r.plan))))
  warnAll(items, owners, run, (p) => !incomplete.has(p), warn)
  // undo what ran of the incomplete plans only: their own parts of the steps that took effect
  const partial = run.applied.flatMap((i) => (parts[i] ?? []).filter((r) => incomplete.has(r.plan)))
    .map((r) => (items[r.plan] as Planned).plan.steps[r.step] as PlannedStep)
  const undoFailures = await undoApplied(partial, host)
  const errors: CniError[] = []
  for (const [p, { meta, req, plan: own }] of items.entries()) {
    if (!incomplete.has(p)) continue
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
