// Running a segment's merged plan (merge-plans.ts) with the plugins side by side. Each step waits
// only for the step before it of each plugin it serves: a plugin's own steps run in their order
// (consecutive ones as one runPlan: grouping, guards, best effort), a merged nft transaction starts
// when every plugin in it got there, and a plugin with no part in that transaction does not wait
// for it. Safe for the reason the merge is (merge-plans.ts: different plugins touch disjoint
// objects and were planned before anything applied); it pays because most of a step's time is
// waiting: a process start, or the kernel's RCU grace period when a link or an nft object is
// deleted (a DEL's ifb removal ~25 ms and its nft transaction ~15 ms now overlap).
// After a failure nothing new starts; what is running finishes (a process cannot be taken back
// halfway). The result says what took effect, as runPlan does, and which steps were run through
// (`done`: applied, skipped by a guard, or a best-effort failure), from which the caller tells
// complete plans from incomplete ones.
import type { Host } from '../../src/host/types.js'
import { runPlan, type PlanRun, type RunWarning } from '../../src/plan/apply.js'
import type { PlannedStep } from '../../src/plan/types.js'
import type { MergedPlan } from './merge-plans.js'

/** LaneRun: what runPlan would report for the merged plan, and the steps that were run through. */
export interface LaneRun {
  run: PlanRun
  done: Set<number>
}

interface Ran {
  applied: number[]
  warnings: RunWarning[]
  done: number[]
  failed?: { steps: number[]; error: unknown }
}

/** runSteps runs some steps of the merged plan, in order, as one plan; indexes are the merged plan's. */
const runSteps = async (steps: readonly PlannedStep[], idx: number[], host: Host): Promise<Ran> => {
  const r = await runPlan({ steps: idx.map((k) => steps[k] as PlannedStep) }, host)
  const at = (i: number): number => idx[i] as number
  const warnings = r.warnings.map((w) => ({ ...w, at: at(w.at) }))
  if (r.ok) return { applied: r.applied.map(at), warnings, done: idx }
  const firstFailed = Math.min(...r.failed)
  return {
    applied: r.applied.map(at),
    warnings,
    done: idx.slice(0, firstFailed),
    failed: { steps: r.failed.map(at), error: r.error },
  }
}

/** A run of steps that starts as a whole: one plugin's consecutive steps, or a shared step. */
interface Unit {
  idx: number[]
  /** the units that must have finished first: the previous unit of each plugin this one serves */
  after: number[]
}

/** unitsOf cuts the merged plan into units (see the file comment). */
export const unitsOf = (merged: MergedPlan): Unit[] => {
  const units: Unit[] = []
  const last = new Map<number, number>() // plugin → its latest unit
  const open = new Map<number, number>() // plugin → its unit that more of its own steps may join
  merged.plan.steps.forEach((_, k) => {
    const owners = merged.owners[k] ?? []
    const single = owners.length === 1 ? (owners[0] as number) : undefined
    const joinable = single !== undefined ? open.get(single) : undefined
    if (joinable !== undefined) {
      units[joinable]?.idx.push(k)
      return
    }
    const u = units.length
    units.push({ idx: [k], after: [...new Set(owners.flatMap((p) => last.get(p) ?? []))] })
    for (const p of owners) {
      last.set(p, u)
      open.delete(p)
    }
    if (single !== undefined) open.set(single, u)
  })
  return units
}

/** runLanes runs merged.plan (see the file comment). */
export const runLanes = async (merged: MergedPlan, host: Host): Promise<LaneRun> => {
  const { steps } = merged.plan
  const units = unitsOf(merged)
  let stopped = false
  const finished: Promise<Ran | undefined>[] = []
  for (const unit of units) {
    // `after` holds earlier units only, so their promises exist already
    const waitFor = unit.after.map((u) => finished[u])
    finished.push((async () => {
      await Promise.all(waitFor)
      if (stopped) return undefined
      const r = await runSteps(steps, unit.idx, host)
      if (r.failed) stopped = true
      return r
    })())
  }
  const results = (await Promise.all(finished)).flatMap((r) => (r ? [r] : []))
  const applied = results.flatMap((r) => r.applied)
  const warnings = results.flatMap((r) => r.warnings)
  const done = new Set(results.flatMap((r) => r.done))
  // the failure reported is the one earliest in the merged plan (which unit failed first in time does not matter)
  const failedRuns = results.flatMap((r) => (r.failed ? [r.failed] : [])).sort((a, b) => Math.min(...a.steps) - Math.min(...b.steps))
  const [first] = failedRuns
  if (!first) return { run: { ok: true, applied, warnings }, done }
  const failed = [...new Set(failedRuns.flatMap((f) => f.steps))].sort((a, b) => a - b)
  return { run: { ok: false, applied, warnings, failed, error: first.error }, done }
}
