// Merging the plans of consecutive built-in plugins so their nftables work commits as ONE
// transaction (one `nft` process, one kernel commit): every nft step with the same failure policy
// is folded into the first such step, in plugin order; all other steps keep their order. Undo
// steps of a merged step run later plugins' first, as separate applies would.
import type { PlannedStep, Plan } from '../../src/plan/types.js'

type NftStep = Extract<PlannedStep, { kind: 'nft' }>

/** mergePlans returns one plan doing what `plans` do in order, with nft batches merged. */
export const mergePlans = (plans: Plan[]): Plan => {
  const steps: PlannedStep[] = []
  const merged = new Map<boolean, NftStep>()
  for (const plan of plans) {
    for (const step of plan.steps) {
      if (step.kind !== 'nft') {
        steps.push(step)
        continue
      }
      const policy = step.ignoreFailure === true
      const into = merged.get(policy)
      if (!into) {
        const copy: NftStep = { ...step, batch: [...step.batch], ...(step.undo ? { undo: [...step.undo] } : {}) }
        merged.set(policy, copy)
        steps.push(copy)
        continue
      }
      into.batch.push(...step.batch)
      if (step.undo) into.undo = [...step.undo, ...(into.undo ?? [])]
    }
  }
  const last = plans.at(-1)
  return last?.result ? { steps, result: last.result } : { steps }
}
