// Readers for `nft -j list` output (nft 1.0.6): the rules of a chain, the elements of a verdict map.
import type { NftObject } from './types.js'

export interface ListedRule {
  chain: string
  handle?: number
  comment?: string
  expr: unknown[]
}

/** listedRules returns the rules in objs (optionally of one chain), in listing order. */
export const listedRules = (objs: readonly NftObject[], chain?: string): ListedRule[] =>
  objs.flatMap((o) => {
    const r = o.rule
    if (!r || (chain !== undefined && r.chain !== chain)) return []
    return [{
      chain: String(r.chain),
      ...(typeof r.handle === 'number' ? { handle: r.handle } : {}),
      ...(typeof r.comment === 'string' ? { comment: r.comment } : {}),
      expr: Array.isArray(r.expr) ? r.expr : [],
    }]
  })

/** listedChains returns the chain names in objs. */
export const listedChains = (objs: readonly NftObject[]): string[] =>
  objs.flatMap((o) => (o.chain && typeof o.chain.name === 'string' ? [o.chain.name] : []))

export interface ListedElement {
  /** the key's parts (a concatenation flattened) */
  key: (string | number)[]
  /** the goto/jump target, when the value is one */
  target?: string
}

/** mapElements returns the elements of verdict map `name` in objs ([] when absent or empty). */
export const mapElements = (objs: readonly NftObject[], name: string): ListedElement[] => {
  const m = objs.find((o) => o.map && o.map.name === name)?.map
  const elems = Array.isArray(m?.elem) ? (m.elem as unknown[]) : []
  return elems.flatMap((e) => {
    if (!Array.isArray(e) || e.length !== 2) return []
    const [k, v] = e as [unknown, unknown]
    const key = typeof k === 'object' && k !== null && 'concat' in k ? ((k as { concat: (string | number)[] }).concat) : [k as string | number]
    const verdict = (v ?? {}) as { goto?: { target?: string }; jump?: { target?: string } }
    const target = verdict.goto?.target ?? verdict.jump?.target
    return [{ key, ...(target !== undefined ? { target } : {}) }]
  })
}

/** jumpTargets returns the chains a rule's `jump`/`goto` statements name (verdict maps excluded). */
export const jumpTargets = (rule: ListedRule): string[] =>
  rule.expr.flatMap((e) => {
    const v = (e ?? {}) as { jump?: { target?: unknown }; goto?: { target?: unknown } }
    const target = v.jump?.target ?? v.goto?.target
    return typeof target === 'string' ? [target] : []
  })
