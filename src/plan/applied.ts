// Which steps of a failed group took effect, so rollback undoes exactly those. Undoing a step that
// never ran could destroy something that is not ours (an `add` that failed with "File exists"
// would have its `del` undo remove the other owner's object).
import { HostError } from '../host/types.js'
import type { PlannedStep } from './types.js'

/**
 * appliedBeforeFailure returns the steps of `group` that had been applied when it failed with
 * `err`: for an ip/tc batch the lines before the one the tool names (`Command failed -:N`); when
 * it cannot tell, only the `ip link set` steps that set something back; for sysctl every entry
 * (`sysctl -w` goes on past a bad key, and restoring an old value is harmless); none for the
 * atomic kinds (an nft transaction, a file, conntrack).
 */
export const appliedBeforeFailure = <S extends PlannedStep>(group: S[], err: unknown): S[] => {
  const kind = group[0]?.kind
  if (kind === 'sysctl') return group
  if (kind !== 'ip' && kind !== 'tc') return []
  if (group.length === 1) return []
  const text = err instanceof HostError ? err.stderr : ''
  const line = /Command failed -:(\d+)/.exec(text)?.[1]
  // iproute2 exits at once on an argument it cannot parse, naming no line: any line before it
  // may have run. Steps that only set attributes back are undone then (harmless if never run).
  return line === undefined ? group.filter(onlySetsBack) : group.slice(0, Number(line) - 1)
}

/** onlySetsBack: an `ip link set` whose undo is `ip link set` too (an attribute and its old value). */
const onlySetsBack = (s: PlannedStep): boolean => {
  const linkSet = (x: { kind: string; args?: readonly string[] }): boolean => x.kind === 'ip' && x.args?.[0] === 'link' && x.args[1] === 'set'
  return linkSet(s) && (s.undo ?? []).length > 0 && (s.undo ?? []).every(linkSet)
}

/**
 * failedInGroup returns the positions in `group` of the step(s) that may have failed with `err`:
 * the lines an ip/tc batch names (one, or several under `-force`), else every step of the group
 * (sysctl -w does not say which key).
 */
export const failedInGroup = (group: readonly PlannedStep[], err: unknown): number[] => {
  const all = group.map((_, i) => i)
  if (group.length === 1) return all
  const kind = group[0]?.kind
  if (kind !== 'ip' && kind !== 'tc') return all
  const text = err instanceof HostError ? err.stderr : ''
  const named = [...text.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]) - 1).filter((i) => i >= 0 && i < group.length)
  return named.length > 0 ? [...new Set(named)] : all
}
