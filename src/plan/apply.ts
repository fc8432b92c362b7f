// apply: the only place plans touch the machine. Steps run in order; consecutive steps of one tool
// in one namespace go to that tool in one call (`ip -batch`, one `sysctl -w`), nft steps are one
// transaction each. When a step fails, the undo steps of everything already applied run in reverse
// and the error is rethrown, so a failed ADD leaves the host as it found it; an undo that fails too
// is reported in the error's details (RollbackIncompleteError), never swallowed.
// Steps marked ignoreFailure (DEL's best effort) run with `-force`: one missing object does not
// keep the others from being removed, and their failure is not an error; with reportFailure it
// becomes a warning (with the plan's notes, what applyPlan returns for the plugin's stderr).
import { HostError, isNotFound, type Host } from '../host/types.js'
import { appliedBeforeFailure, failedInGroup } from './applied.js'
import type { PlannedStep, Plan, Step } from './types.js'
import { describeStep, firstLine, undoSteps, withUndoFailures, type UndoFailure } from './undo.js'

/**
 * PlanRun is what runPlan did: the indexes (into plan.steps) of the steps that took effect, the
 * reported failures of best-effort steps (`warnings`), and on failure the error and the indexes of
 * the step(s) that may have failed (one, or a whole group when the tool does not say which line).
 */
export type PlanRun =
  | { ok: true; applied: number[]; warnings: RunWarning[] }
  | { ok: false; applied: number[]; warnings: RunWarning[]; failed: number[]; error: unknown }

/** A reported best-effort failure: the index of its (first) step and the text for people. */
export interface RunWarning {
  at: number
  text: string
}

/**
 * runPlan applies plan.steps in groups and stops at the first failure WITHOUT undoing anything:
 * the caller decides what to undo (applyPlan: this plan's steps; the `chain` plugin: everything
 * its ADD did so far).
 */
export const runPlan = async (plan: Plan, host: Host): Promise<PlanRun> => {
  const applied: number[] = []
  const warnings: RunWarning[] = []
  let index = 0
  for (const group of groupSteps(plan.steps)) {
    const indexes = group.map((_, i) => index + i)
    index += group.length
    const ignore = group.every((s) => s.ignoreFailure)
    const guard = group[0]?.onlyIfDirHolds
    if (guard && !sameEntries(await host.files.list(guard.dir), guard.entries)) continue
    try {
      await runGroup(group, host, ignore)
    } catch (error) {
      if (ignore) {
        const reported = failedInGroup(group, error).filter((i) => group[i]?.reportFailure)
        if (reported.length > 0) {
          const what = reported.map((i) => describeStep(group[i] as PlannedStep)).join(', ')
          warnings.push({ at: indexes[reported[0] as number] as number, text: `${what} failed: ${firstLine(error)}` })
        }
        continue
      }
      const done = appliedBeforeFailure(group, error).length
      const failed = failedInGroup(group, error).map((i) => indexes[i] as number)
      return { ok: false, applied: [...applied, ...indexes.slice(0, done)], warnings, failed, error }
    }
    applied.push(...indexes)
  }
  return { ok: true, applied, warnings }
}

const sameEntries = (have: string[], want: string[]): boolean =>
  have.length === want.length && [...have].sort().every((e, i) => e === [...want].sort()[i])

/**
 * applyPlan runs plan.steps through host (see the file comment for grouping and rollback) and
 * returns what people should hear about: the plan's notes, then the reported best-effort failures.
 */
export const applyPlan = async (plan: Plan, host: Host): Promise<string[]> => {
  const run = await runPlan(plan, host)
  if (run.ok) return [...(plan.notes ?? []), ...run.warnings.map((w) => w.text)]
  throw withUndoFailures(run.error, await undoApplied(run.applied.map((i) => plan.steps[i] as PlannedStep), host))
}

/** undoApplied runs the undo steps of `applied` in reverse; returns the undo steps that failed. */
export const undoApplied = (applied: readonly PlannedStep[], host: Host): Promise<UndoFailure[]> =>
  undoSteps(applied, host, (step, h) => runGroup([step], h, false))

// Steps that can share one process: same kind, same netns, and the same failure policy (reported
// failures apart, so another step's failure is never blamed on them, nor theirs hidden).
const groupKey = (s: PlannedStep): string | undefined => {
  if (s.onlyIfDirHolds) return undefined
  if (s.kind === 'ip' || s.kind === 'tc' || s.kind === 'sysctl') return `${s.kind}\0${s.netns ?? ''}\0${s.ignoreFailure ? 1 : 0}${s.reportFailure ? 1 : 0}`
  return undefined
}

/** groupSteps splits steps into the runs that go to one process each (exported for tests). */
export const groupSteps = <S extends PlannedStep>(steps: S[]): S[][] => {
  const groups: S[][] = []
  for (const step of steps) {
    const last = groups.at(-1)
    const key = groupKey(step)
    if (last && key !== undefined && groupKey(last[0] as S) === key) last.push(step)
    else groups.push([step])
  }
  return groups
}

const runGroup = async (group: Step[], host: Host, continueOnError: boolean): Promise<void> => {
  const first = group[0] as Step
  switch (first.kind) {
    case 'nft':
      return applyNft(first, host)
    case 'ip':
      return host.ip.run(group.map((s) => (s as typeof first).args), first.netns, { continueOnError })
    case 'tc':
      return host.tc.run(group.map((s) => (s as typeof first).args), first.netns, { continueOnError })
    case 'sysctl':
      return host.sysctl.write(group.map((s) => [(s as typeof first).key, (s as typeof first).value]), first.netns)
    case 'write-file':
      return host.files.write(first.path, first.content, first.mode)
    case 'remove-file':
      return host.files.remove(first.path)
    case 'remove-dir':
      return host.files.removeDir(first.path)
    case 'conntrack-delete':
      return host.conntrack.deleteByPort(first.family, first.protocol, first.port)
    case 'iptables':
      return requireSeam(host.iptables, 'iptables').run(first.family, first.args, first.unless)
    case 'firewalld':
      return first.op === 'add-source'
        ? requireSeam(host.firewalld, 'firewalld').addSource(first.zone, first.source)
        : requireSeam(host.firewalld, 'firewalld').removeSource(first.zone, first.source)
  }
}

/** applyNft: the fast transaction when the step has one, the whole batch when that found something missing. */
const applyNft = async (step: Extract<Step, { kind: 'nft' }>, host: Host): Promise<void> => {
  if (step.fast) {
    try {
      return await host.nft.apply(step.fast)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }
  try {
    await host.nft.apply(step.batch)
  } catch (err) {
    // still referenced by another user: the kernel kept it, as it should (see Step's inUseIsFine)
    if (step.inUseIsFine && err instanceof HostError && err.reason === 'busy') return
    throw err
  }
}

/** requireSeam: an optional host seam (iptables, firewalld) a step needs. */
const requireSeam = <T>(seam: T | undefined, name: string): T => {
  if (!seam) throw new Error(`this host has no ${name} seam`)
  return seam
}
