// Skeleton stamps. The shared objects every attachment needs (a table's base chains, dispatch
// chains and their rules) used to be re-declared, flushed and refilled by every ADD. On nft 1.0.6
// and this kernel that costs ~10 ms per transaction (measured: a per-pod batch 4 ms, the same with
// the skeleton 15 ms; re-declaring one existing regular chain alone costs as much, as does any
// delete — most likely the commit waiting for an RCU grace period). So the full skeleton is
// written with a stamp, an empty-looking set named after the hash of exactly those commands, and
// an ADD first tries a fast transaction that asserts the stamp
// (`add element` to it fails with ENOENT when it is missing) instead of re-declaring the skeleton.
// Missing (first pod, after `flush ruleset`, after an upgrade that changed the skeleton: new hash)
// means the plan's whole batch runs. What a stamp cannot see is someone deleting rules from the
// skeleton's chains by hand: deleting the stamp set too (`nft delete set inet TABLE stamp-…`)
// makes the next ADD write the skeleton again.
import { createHash } from 'node:crypto'
import { add, elementObj, setObj, type TableRef } from './build.js'
import type { NftCommand } from './types.js'

/** stampName: `stamp-` + 16 hex characters of sha256 over the skeleton's commands. */
export const stampName = (skeleton: readonly NftCommand[]): string =>
  `stamp-${createHash('sha256').update(JSON.stringify(skeleton)).digest('hex').slice(0, 16)}`

/** isStampName tells whether a set name is a stamp (GC and uninstall leave them to the table's removal). */
export const isStampName = (name: string): boolean => /^stamp-[0-9a-f]{16}$/.test(name)

/** stampAssert: the command that fails with ENOENT unless the stamp (and so the skeleton) exists. */
export const stampAssert = (t: TableRef, skeleton: readonly NftCommand[]): NftCommand =>
  add(elementObj(t, stampName(skeleton), [1]))

/** stamped: the skeleton followed by its stamp (declared, and holding the element stampAssert adds). */
export const stamped = (t: TableRef, skeleton: readonly NftCommand[]): NftCommand[] => [
  ...skeleton,
  add(setObj(t, stampName(skeleton), 'inet_service')),
  stampAssert(t, skeleton),
]
