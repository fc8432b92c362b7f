// Undoing applied steps, and reporting the undo steps that failed. A failed undo means something a
// plan made is still on the host (a leaked chain, an MTU not put back): it must be visible in the
// error the caller prints, never swallowed.
import { CniError, ErrorCode } from '../cni/errors.js'
import type { Host } from '../host/types.js'
import type { PlannedStep, Step } from './types.js'

/** One undo that failed: what it was (a command line, for people), why, and the step when it was one. */
export interface UndoFailure {
  what: string
  error: string
  step?: Step
}

/** runStep applies one step on its own (undo steps never group). */
export type RunStep = (step: Step, host: Host) => Promise<void>

/**
 * undoSteps runs the undo steps of `applied` in reverse order (each step's own undo list in its
 * order), going on past failures, and returns the failures.
 */
export const undoSteps = async (applied: readonly PlannedStep[], host: Host, runStep: RunStep): Promise<UndoFailure[]> => {
  const failures: UndoFailure[] = []
  for (const step of [...applied].reverse()) {
    for (const undo of step.undo ?? []) {
      try {
        await runStep(undo, host)
      } catch (err) {
        failures.push({ what: describeStep(undo), error: firstLine(err), step: undo })
      }
    }
  }
  return failures
}

/** firstLine: the first non-empty line of an error's message. */
export const firstLine = (err: unknown): string => {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'failed'
}

/** describeStep names a step for people: the command it runs, shortened. */
export const describeStep = (step: Step): string => {
  const where = 'netns' in step && step.netns ? ` (in ${step.netns})` : ''
  switch (step.kind) {
    case 'nft': return `nft ${shorten(JSON.stringify({ nftables: step.batch }))}`
    case 'ip':
    case 'tc': return `${step.kind} ${step.args.join(' ')}${where}`
    case 'sysctl': return `sysctl ${step.key}=${step.value}${where}`
    case 'write-file': return `write ${step.path}`
    case 'remove-file': return `remove ${step.path}`
    case 'remove-dir': return `remove directory ${step.path}`
    case 'conntrack-delete': return `conntrack -D -f ${step.family} -p ${step.protocol} --dport ${step.port}`
    case 'iptables': return `${step.family === 6 ? 'ip6tables' : 'iptables'} -w ${step.args.join(' ')}`
    case 'firewalld': return `firewall-cmd --zone=${step.zone} --${step.op}=${step.source}`
  }
}

const shorten = (s: string, max = 200): string => (s.length <= max ? s : `${s.slice(0, max)}…`)

/**
 * RollbackIncompleteError is the error of a failed apply whose rollback left something behind: the
 * original error's code and message, its details followed by every failed undo step, and the same
 * as a structured list (`undoFailures`) for callers in process.
 */
export class RollbackIncompleteError extends CniError {
  readonly undoFailures: UndoFailure[]
  override readonly cause: unknown

  constructor(original: unknown, undoFailures: UndoFailure[]) {
    const base = original instanceof CniError ? original : undefined
    const msg = base ? base.msg : original instanceof Error ? original.message : String(original)
    const leaked = undoFailures.map((f) => `${f.what}: ${f.error}`).join('; ')
    const note = `rollback incomplete, ${undoFailures.length} undo(s) failed, still on the host: ${leaked}`
    super(base?.code ?? ErrorCode.Internal, msg, base?.details ? `${base.details}; ${note}` : note)
    this.name = 'RollbackIncompleteError'
    this.undoFailures = undoFailures
    this.cause = original
  }
}

/** undoFailuresOf returns the failed undo steps an error carries ([] for any other error). */
export const undoFailuresOf = (err: unknown): UndoFailure[] => (err instanceof RollbackIncompleteError ? err.undoFailures : [])

/**
 * withUndoFailures returns err unchanged when nothing failed to undo, else an error that carries
 * the failures (added to those err already carries).
 */
export const withUndoFailures = (err: unknown, failures: readonly UndoFailure[]): unknown => {
  if (failures.length === 0) return err
  if (err instanceof RollbackIncompleteError) return new RollbackIncompleteError(err.cause, [...err.undoFailures, ...failures])
  return new RollbackIncompleteError(err, [...failures])
}
