// Merging the plans of consecutive built-in plugins so their nftables work commits in fewer
// transactions, without changing what any plugin asked for. Only one merge is safe: the LAST step
// of one plan and the FIRST step of the next, when both are nft transactions that must succeed.
// Applied one after the other, those two batches run back to back with nothing in between, so one
// transaction holding both does the same work (nft applies a batch's commands in order) and can
// only fail where one of the two would have failed. Everything else stays apart:
//  - a plugin's own steps keep their order (its nft work never moves ahead of its earlier steps),
//  - two nft steps of one plugin stay two transactions (it kept them apart on purpose),
//  - best-effort (ignoreFailure) steps are never merged: one missing object would cancel the
//    other plugin's cleanup.
// The undo of a merged step is the later plugin's undo first, as separate applies would roll back.
import type { PlannedStep, Plan } from '../../src/plan/types.js'

type NftStep = Extract<PlannedStep, { kind: 'nft' }>

/** MergedPlan: one plan doing what the plans do in order, and which plans each of its steps serves. */
export interface MergedPlan {
  plan: Plan
  /** owners[i]: indexes (into the input plans) of the plans whose work step i carries */
  owners: number[][]
}

const mergeable = (s: PlannedStep | undefined): s is NftStep => s?.kind === 'nft' && s.ignoreFailure !== true

/** mergePlans concatenates the plans' steps, merging an nft step into the previous plan's last one when safe. */
export const mergePlans = (plans: readonly Plan[]): MergedPlan => {
  const steps: PlannedStep[] = []
  const owners: number[][] = []
  plans.forEach((plan, p) => {
    plan.steps.forEach((step, i) => {
      const last = steps.at(-1)
      // i === 0: the previous step is the last one of an earlier plan, this one starts plan p
      if (i === 0 && mergeable(step) && mergeable(last)) {
        const undo = [...(step.undo ?? []), ...(last.undo ?? [])]
        steps[steps.length - 1] = { ...last, batch: [...last.batch, ...step.batch], ...(undo.length > 0 ? { undo } : {}) }
        ;(owners.at(-1) as number[]).push(p)
        return
      }
      steps.push(step)
      owners.push([p])
    })
  })
  const last = plans.at(-1)
  return { plan: last?.result ? { steps, result: last.result } : { steps }, owners }
}
