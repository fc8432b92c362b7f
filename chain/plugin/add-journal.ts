// What a `chain` plugin ADD has changed so far, so that a failure anywhere in the sub-chain puts the
// host back as it was, like a failed standalone ADD: the steps of built-in plans that took effect
// (undone through their undo steps) and the external sub-plugins whose ADD succeeded (undone by
// their DEL). Rollback runs in reverse order and goes on past failures, which it returns.
import type { Host } from '../../src/host/types.js'
import { undoApplied } from '../../src/plan/apply.js'
import type { PlannedStep } from '../../src/plan/types.js'
import { firstLine, type UndoFailure } from '../../src/plan/undo.js'

type Entry = { kind: 'steps'; steps: PlannedStep[] } | { kind: 'external'; what: string; del: () => Promise<unknown> }

/** AddJournal records effects in the order they happened. */
export interface AddJournal {
  /** applied: built-in plan steps that took effect */
  applied(steps: PlannedStep[]): void
  /** external: a sub-plugin binary whose ADD succeeded; `del` runs its DEL */
  external(what: string, del: () => Promise<unknown>): void
  /** rollback undoes everything recorded, newest first; returns what could not be undone */
  rollback(host: Host): Promise<UndoFailure[]>
}

/** createAddJournal returns an empty journal. */
export const createAddJournal = (): AddJournal => {
  const entries: Entry[] = []
  return {
    applied: (steps) => {
      if (steps.length > 0) entries.push({ kind: 'steps', steps })
    },
    external: (what, del) => {
      entries.push({ kind: 'external', what, del })
    },
    rollback: async (host) => {
      const failures: UndoFailure[] = []
      for (const entry of entries.splice(0).reverse()) {
        if (entry.kind === 'steps') {
          failures.push(...(await undoApplied(entry.steps, host)))
          continue
        }
        try {
          await entry.del()
        } catch (err) {
          failures.push({ what: entry.what, error: firstLine(err) })
        }
      }
      return failures
    },
  }
}
