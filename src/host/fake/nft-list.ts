// `nft -j list ...` over the fake ruleset, shaped as nft 1.0.6 prints it (without the metainfo
// entry, as src/host/nft.ts returns it): a table lists itself, its sets and maps (with elements),
// its chains, then the rules chain by chain. undefined = the object does not exist (ENOENT).
import type { NftObject } from '../../nft/types.js'
import { listedExpr } from './nft-expr.js'
import type { NftChain, NftSet, NftState, NftTable } from './nft-state.js'

const tableObj = (t: NftTable): NftObject => ({ table: { family: t.family, name: t.name, handle: t.handle } })

const chainObj = (t: NftTable, c: NftChain): NftObject => ({
  chain: {
    family: t.family, table: t.name, name: c.name, handle: c.handle,
    ...(c.base ? { type: c.base.type, hook: c.base.hook, prio: c.base.prio, policy: c.base.policy } : {}),
  },
})

const ruleObjs = (t: NftTable, c: NftChain): NftObject[] =>
  c.rules.map((r) => ({
    rule: {
      family: t.family, table: t.name, chain: c.name, handle: r.handle,
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
      expr: listedExpr(r.expr),
    },
  }))

const setObj = (t: NftTable, s: NftSet): NftObject => ({
  [s.isMap ? 'map' : 'set']: {
    family: t.family, name: s.name, table: t.name, type: s.type, handle: s.handle,
    ...(s.isMap ? { map: s.map } : {}),
    ...(s.flags ? { flags: s.flags } : {}),
    ...(s.elems.length > 0 ? { elem: s.elems.map((e) => (s.isMap ? [e.key, e.value] : e.key)) } : {}),
  },
})

const tableObjs = (t: NftTable): NftObject[] => [
  tableObj(t),
  ...t.sets.map((s) => setObj(t, s)),
  ...t.chains.map((c) => chainObj(t, c)),
  ...t.chains.flatMap((c) => ruleObjs(t, c)),
]

const table = (st: NftState, family: string | undefined, name: string | undefined): NftTable | undefined =>
  st.tables.find((t) => t.family === family && t.name === name)

/** listNft answers `nft -j list ARGS` (ruleset, tables, table, chain, set, map). */
export const listNft = (st: NftState, args: readonly string[]): NftObject[] | undefined => {
  const [what, family, tname, name] = args
  switch (what) {
    case 'ruleset':
      return st.tables.filter((t) => family === undefined || t.family === family).flatMap(tableObjs)
    case 'tables':
      return st.tables.filter((t) => family === undefined || t.family === family).map(tableObj)
    case 'table': {
      const t = table(st, family, tname)
      return t && tableObjs(t)
    }
    case 'chain': {
      const t = table(st, family, tname)
      const c = t?.chains.find((x) => x.name === name)
      return t && c && [chainObj(t, c), ...ruleObjs(t, c)]
    }
    case 'set':
    case 'map': {
      const t = table(st, family, tname)
      const s = t?.sets.find((x) => x.name === name && x.isMap === (what === 'map'))
      return t && s && [setObj(t, s)]
    }
    default:
      throw new Error(`semantic fake nft: unsupported list ${JSON.stringify(args)}`)
  }
}
