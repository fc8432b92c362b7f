// Every effectful call of the fake goes through one gate: it is recorded in `calls` (index =
// position there), then checked against the failure rules, then applied. An injected failure
// happens before the effect, so a failed call never changed anything — as a refused syscall.
import type { FakeCall } from './model.js'

export interface FailureRule {
  when: (call: FakeCall, index: number) => boolean
  stderr: string
  /** how many more matching calls fail (Infinity: all) */
  times: number
}

/** keyFor names a read or call as "tool arg arg[@netns]" (the recording fake's format). */
export const keyFor = (tool: string, args: readonly string[], netns?: string): string =>
  `${tool} ${args.join(' ')}${netns ? `@${netns}` : ''}`

export const DEFAULT_INJECTED = 'semantic fake: injected failure (Operation not permitted)'

export class EffectGate {
  readonly calls: FakeCall[] = []
  readonly reads: string[] = []
  readonly rules: FailureRule[] = []

  /** enter records the call and returns the stderr of an injected failure, or undefined. */
  enter(call: FakeCall): string | undefined {
    const index = this.calls.length
    this.calls.push(call)
    for (const rule of this.rules) {
      if (rule.times > 0 && rule.when(call, index)) {
        rule.times -= 1
        return rule.stderr
      }
    }
    return undefined
  }
}
