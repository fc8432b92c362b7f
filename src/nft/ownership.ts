// Owner-checked removal of per-attachment objects in a verdict-map layout: a map element
// `KEY : goto CHAIN` belongs to the attachment whose chain it points at. nft 1.0.6 has no
// `destroy`, so removal is emulated in one transaction: `add element KEY : goto CHAIN` is a no-op
// when KEY already points at CHAIN, creates it when absent, and fails the whole batch with EEXIST
// when KEY belongs to another chain (so we never delete another attachment's element); then the
// element is deleted. portmap and firewall both find their per-pod objects this way.
// The claim must repeat the element's verdict exactly (`goto` for portmap, `jump` for firewall):
// `add element K : jump C` over `K : goto C` is a different value, so EEXIST.
import { add, chainObj, del, elementObj, elemKey, flush, gotoElem, jumpElem, type TableRef } from './build.js'
import { listedChains, listedRules } from './read.js'
import type { NftCommand, NftObject } from './types.js'

/** The keys of one verdict map that point at an attachment's chain (each key a list of parts). */
export interface MapKeys {
  map: string
  keys: (string | number)[][]
  /** the verdict the elements carry (default goto) */
  verdict?: 'goto' | 'jump'
}

/** releaseElements claims each key for `chain` (EEXIST when another chain owns it), then deletes it. */
export const releaseElements = (t: TableRef, chain: string, groups: MapKeys[]): NftCommand[] => {
  const used = groups.filter((g) => g.keys.length > 0)
  return [
    ...used.map((g) => add(elementObj(t, g.map, g.keys.map((k) => (g.verdict === 'jump' ? jumpElem(k, chain) : gotoElem(k, chain)))))),
    ...used.map((g) => del(elementObj(t, g.map, g.keys.map((k) => elemKey(k))))),
  ]
}

/**
 * releaseChain: the attachment's elements released and its chain emptied, the chain itself kept
 * (it is created first, so the batch never fails on a chain that is already gone).
 */
export const releaseChain = (t: TableRef, chain: string, groups: MapKeys[]): NftCommand[] => [
  add(chainObj(t, chain)),
  ...releaseElements(t, chain, groups),
  flush(chainObj(t, chain)),
]

/** removeChain: releaseChain, then the chain deleted: idempotent as one transaction. */
export const removeChain = (t: TableRef, chain: string, groups: MapKeys[]): NftCommand[] => [
  ...releaseChain(t, chain, groups),
  del(chainObj(t, chain)),
]

/**
 * releaseShared removes elements that several attachments add alike (all pointing at `target`)
 * together with `refChain`, an empty chain each of those attachments references from its own
 * chain (a `jump refChain` rule). The kernel refuses to delete a chain that is still referenced
 * (EBUSY), so this batch succeeds only once the last of them is gone: the kernel does the counting,
 * race-free. Idempotent (the chain and the elements are claimed first). `delete chain` alone would
 * not do: it deletes a chain's own rules with it, so the references must come from outside.
 */
export const releaseShared = (t: TableRef, refChain: string, target: string, groups: MapKeys[]): NftCommand[] => [
  add(chainObj(t, refChain)),
  ...releaseElements(t, target, groups),
  del(chainObj(t, refChain)),
]

/** How a plugin recognizes its attachment chains and reads the network from a rule's owner comment. */
export interface AttachmentChains {
  isChain: (name: string) => boolean
  networkOf: (comment: string) => string | undefined
}

/**
 * staleChains: what GC removes from a listed table — the attachment chains of `network` whose
 * names are not in `keep` (the network read from their rules' owner comments), and any empty
 * attachment chain nothing points at (`targets`: the chains map elements point at). An empty,
 * unreferenced chain is what a DEL on a kernel before 6.2 leaves: inert, and anyone's.
 */
export const staleChains = (objs: readonly NftObject[], kind: AttachmentChains, network: string, keep: ReadonlySet<string>, targets: ReadonlySet<string>): string[] =>
  listedChains(objs).filter(kind.isChain).filter((chain) => {
    if (keep.has(chain)) return false
    const rules = listedRules(objs, chain)
    if (rules.length === 0) return !targets.has(chain)
    return rules.some((r) => r.comment !== undefined && kind.networkOf(r.comment) === network)
  })
