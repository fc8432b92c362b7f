// Planning a segment's built-in sub-plugins at the same time. A plan only reads (ReadHost), so
// planning the plugins side by side changes nothing but the wall time: each waits mostly for its
// reads (an `ip`, `tc` or `nsenter` process each), and their reads overlap.
//  - DEL and GC give every plugin the same prevResult, so all plans start at once; the results
//    are then taken in order, exactly as sequential planning would have produced them (with DEL's
//    halt, the plans after the first error are dropped unseen).
//  - ADD threads prevResult: plugin N+1 plans on plugin N's result. Meta plugins nearly always
//    pass it on unchanged (tuning's `mac` is the exception), so every plugin is planned at once on
//    the segment's prevResult; a plugin whose predecessors did change it is planned again on the
//    real one (its reads are answered from readsOnce's answers, so that costs no process).
// `oneByOne` plans strictly in order instead, each plugin once: what the fixture recorder needs to
// log exactly the plans that count, in order (chain/fixtures/engine.ts).
import type { Result } from '../../src/cni/types.js'

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))

/**
 * planAllInOrder plans every sub with the same prevResult at once and returns the plans and the
 * planning errors in sub order; with `halt`, nothing after the first error.
 */
export const planAllInOrder = async <S, P>(subs: readonly S[], planOne: (sub: S) => Promise<P>, halt: boolean, oneByOne = false): Promise<{ items: P[]; errors: unknown[] }> => {
  const started = oneByOne ? [] : subs.map((s) => settle(planOne(s)))
  const items: P[] = []
  const errors: unknown[] = []
  for (const [i, sub] of subs.entries()) {
    const r = oneByOne ? await settle(planOne(sub)) : await (started[i] as Promise<Settled<P>>)
    if (r.ok) {
      items.push(r.value)
      continue
    }
    errors.push(r.error)
    if (halt) break
  }
  return { items, errors }
}

/**
 * planThreaded plans ADD for every sub, threading prevResult (see the file comment); throws the
 * first planning error in sub order. Returns the plans and the last result.
 */
export const planThreaded = async <S, P>(
  subs: readonly S[],
  prev: Result | undefined,
  planOne: (sub: S, prev: Result | undefined) => Promise<P>,
  resultOf: (planned: P) => Result,
  oneByOne = false,
): Promise<{ items: P[]; prev: Result | undefined }> => {
  const start = JSON.stringify(prev ?? null)
  const guesses = oneByOne ? [] : subs.map((s) => settle(planOne(s, prev)))
  const items: P[] = []
  let current = prev
  for (const [i, sub] of subs.entries()) {
    const guess = guesses[i]
    const r = guess && JSON.stringify(current ?? null) === start ? await guess : await settle(planOne(sub, current))
    if (!r.ok) throw r.error
    items.push(r.value)
    current = resultOf(r.value)
  }
  return { items, prev: current }
}
