// apply: the only place plans touch the machine. Steps run in order; consecutive steps of one tool
// in one namespace go to that tool in one call (`ip -batch`, one `sysctl -w`), nft steps are one
// transaction each. When a step fails, the undo steps of everything already applied run in reverse
// (best effort) and the error is rethrown, so a failed ADD leaves the host as it found it.
// Steps marked ignoreFailure (DEL's best effort) run with `-force`: one missing object does not
// keep the others from being removed, and their failure is not an error.
import type { Host } from '../host/types.js'
import { appliedBeforeFailure } from './applied.js'
import type { PlannedStep, Plan, Step } from './types.js'

/** applyPlan runs plan.steps through host; see the file comment for grouping and rollback. */
export const applyPlan = async (plan: Plan, host: Host): Promise<void> => {
  const done: PlannedStep[] = []
  for (const group of groupSteps(plan.steps)) {
    const ignore = group.every((s) => s.ignoreFailure)
    try {
      await runGroup(group, host, ignore)
    } catch (err) {
      if (ignore) continue
      await rollback([...done, ...appliedBeforeFailure(group, err)], host)
      throw err
    }
    done.push(...group)
  }
}

const rollback = async (applied: PlannedStep[], host: Host): Promise<void> => {
  for (const step of [...applied].reverse()) {
    for (const undo of step.undo ?? []) {
      try {
        await runGroup([undo], host, false)
      } catch {
        // best effort: the original error is the one worth reporting
      }
    }
  }
}

// Steps that can share one process: same kind, same netns, and the same failure policy.
const groupKey = (s: PlannedStep): string | undefined => {
  if (s.kind === 'ip' || s.kind === 'tc' || s.kind === 'sysctl') return `${s.kind}\0${s.netns ?? ''}\0${s.ignoreFailure ? 1 : 0}`
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
      return host.nft.apply(first.batch)
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
    case 'conntrack-delete':
      return host.conntrack.deleteByPort(first.family, first.protocol, first.port)
  }
}
