// Merging the plans of consecutive built-in plugins so their nftables work commits in as few
// transactions as possible (each `nft -f` is a process, and a transaction that deletes or
// re-declares objects waits for an RCU grace period), without changing what any plugin asked for.
//
// The rule, in rounds: every plan is a queue of its steps. In a round each plan, in order, emits its
// leading steps up to (not including) its next mergeable nft step; then the head mergeable nft step
// of every plan that has one is taken, and those become ONE nft step (their batches in plan order).
// Repeat until every queue is empty. With one nft step per plan (the usual case): every plan's steps
// before its nft work, one transaction for all of them, then every plan's steps after it.
//
// Why that is safe:
//  - a plan's own steps keep their order (its nft work never moves ahead of its earlier steps, nor
//    behind its later ones), and two nft steps of one plan are never merged: a round takes at most
//    one from each plan (a plugin kept them apart on purpose);
//  - steps of DIFFERENT built-in plugins touch disjoint objects (tuning: the pod's sysctls and link,
//    its files; portmap: its nft table, route_localnet sysctls, conntrack, files; bandwidth: tc, the
//    ifb, files; firewall: its nft table, iptables/firewalld, files), and every plan was made before
//    anything applied, so moving one plugin's step across another plugin's changes no outcome;
//  - one transaction holding several plugins' batches does what they would do one after the other
//    (nft applies a batch's commands in order) and fails only where one of them would have failed;
//  - best-effort (ignoreFailure) steps never merge: one missing object would cancel the other
//    plugin's cleanup; nor do guarded steps (onlyIfDirHolds): the guard decides about its own step.
// A merged step's undo is the later plugin's undo first, as separate applies would roll back. Its
// `fast` (the smaller transaction tried first) exists when a part has one: every part's fast, or its
// batch when it has none. `parts` says which plan step each merged step carries, so a caller can tell
// which plugins finished and undo exactly what ran of the others (apply-segment.ts).
import type { PlannedStep, Plan } from '../../src/plan/types.js'

type NftStep = Extract<PlannedStep, { kind: 'nft' }>

/** A plan's step carried by a merged step: plans[plan].steps[step]. */
export interface StepRef {
  plan: number
  step: number
}

/** MergedPlan: one plan doing what the plans do, and which plans each of its steps serves. */
export interface MergedPlan {
  plan: Plan
  /** owners[i]: indexes (into the input plans) of the plans whose work step i carries, in order */
  owners: number[][]
  /** parts[i]: the input steps merged step i carries, in plan order */
  parts: StepRef[][]
}

const mergeable = (s: PlannedStep | undefined): s is NftStep =>
  s?.kind === 'nft' && s.ignoreFailure !== true && s.onlyIfDirHolds === undefined

/** mergeNft makes one transaction of nft steps of different plans (given in plan order). */
const mergeNft = (steps: NftStep[]): NftStep => {
  if (steps.length === 1) return steps[0] as NftStep
  const undo = [...steps].reverse().flatMap((s) => s.undo ?? [])
  const fast = steps.some((s) => s.fast) ? steps.flatMap((s) => s.fast ?? s.batch) : undefined
  return {
    kind: 'nft',
    batch: steps.flatMap((s) => s.batch),
    ...(fast ? { fast } : {}),
    ...(undo.length > 0 ? { undo } : {}),
  }
}

/** mergePlans interleaves the plans' steps so that their required nft steps merge (see the file comment). */
export const mergePlans = (plans: readonly Plan[]): MergedPlan => {
  const steps: PlannedStep[] = []
  const parts: StepRef[][] = []
  const next = plans.map(() => 0)
  const pending = (p: number): boolean => (next[p] as number) < (plans[p] as Plan).steps.length
  const head = (p: number): PlannedStep | undefined => (plans[p] as Plan).steps[next[p] as number]
  while (plans.some((_, p) => pending(p))) {
    plans.forEach((_, p) => {
      for (let s = head(p); s && !mergeable(s); s = head(p)) {
        steps.push(s)
        parts.push([{ plan: p, step: next[p] as number }])
        next[p] = (next[p] as number) + 1
      }
    })
    // every plan still pending now starts with a mergeable nft step: one transaction for them all
    const round = plans.flatMap((_, p) => (pending(p) ? [{ plan: p, step: next[p] as number }] : []))
    if (round.length === 0) break
    steps.push(mergeNft(round.map((r) => head(r.plan) as NftStep)))
    parts.push(round)
    for (const r of round) next[r.plan] = r.step + 1
  }
  const last = plans.at(-1)
  const owners = parts.map((ps) => ps.map((r) => r.plan))
  return { plan: last?.result ? { steps, result: last.result } : { steps }, owners, parts }
}
