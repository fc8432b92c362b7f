// A Plan is what a meta plugin decided to do for one verb: plain JSON, no classes or functions,
// so fixtures compare it, `--dry-run` prints it and the `chain` plugin merges several of them.
import type { NftCommand } from '../nft/types.js'
import type { Result } from '../cni/types.js'

/** One effect. `netns` absent = the plugin's own (runtime's) namespace. */
export type Step =
  /**
   * one nft transaction. `fast`, when set, is the same work for when the shared objects it asserts
   * (a table's skeleton, by its stamp set) already exist: a smaller transaction that does not
   * re-declare existing chains (each costs the kernel ~10 ms). It is tried first; `batch` runs only
   * when `fast` fails with not-found (first pod, after `flush ruleset`, after an upgrade).
   * `inUseIsFine`: an EBUSY answer is success: the batch deletes something shared that the kernel
   * keeps while another user references it (a bridge's isolation chain, a shared port chain), and
   * only the last user's delete may go through. Used in undo steps, where a refusal is no leak.
   */
  | { kind: 'nft'; batch: NftCommand[]; fast?: NftCommand[]; inUseIsFine?: true }
  /** `ip ARGS` */
  | { kind: 'ip'; netns?: string; args: string[] }
  /** `tc ARGS` */
  | { kind: 'tc'; netns?: string; args: string[] }
  /** write /proc/sys/KEY (slash form, e.g. net/ipv4/conf/eth0/arp_filter) */
  | { kind: 'sysctl'; netns?: string; key: string; value: string }
  | { kind: 'write-file'; path: string; content: string; mode: number }
  | { kind: 'remove-file'; path: string }
  /** an empty directory; one still holding entries stays (no error) */
  | { kind: 'remove-dir'; path: string }
  /** drop conntrack entries to a host port (after the nft transaction that changed its mapping) */
  | { kind: 'conntrack-delete'; family: 'ipv4' | 'ipv6'; protocol: 'udp' | 'tcp' | 'sctp'; port: number }
  /** `iptables -w ARGS` (family 4) or `ip6tables -w ARGS` (6); with `unless`, nothing when `-C UNLESS` finds that rule */
  | { kind: 'iptables'; family: 4 | 6; args: string[]; unless?: string[] }
  /** a runtime source of a firewalld zone (added or removed) */
  | { kind: 'firewalld'; op: 'add-source' | 'remove-source'; zone: string; source: string }

/**
 * A PlannedStep is a step plus what undoes it (run in reverse order when a later step of the same
 * plan fails) and whether its failure may be ignored (DEL's best effort: a link already gone).
 * `reportFailure` (with ignoreFailure): the failure is still not an error, but something was left
 * undone that people should hear about (tuning: an original value that could not be restored);
 * apply returns it as a warning, which the plugin prints on stderr.
 * `onlyIfDirHolds`: run the step only when, at apply time, the directory's entries are exactly
 * these (sorted); otherwise it is skipped (not applied, not an error). The last of several users
 * of a shared setting removes its own marker, then sees no other: the file system decides who is
 * last, never a listing made before the marker went (portmap's route_localnet users).
 */
export type PlannedStep = Step & {
  undo?: Step[]
  ignoreFailure?: boolean
  reportFailure?: boolean
  onlyIfDirHolds?: { dir: string; entries: string[] }
}

export interface Plan {
  steps: PlannedStep[]
  /** the result an ADD prints (prevResult with this plugin's changes) */
  result?: Result
  /** what the plan decided to leave undone, for people (printed on stderr once the plan applied) */
  notes?: string[]
}

/** emptyPlan does nothing and prints `result`. */
export const emptyPlan = (result?: Result): Plan => (result ? { steps: [], result } : { steps: [] })
