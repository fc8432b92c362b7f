// Typed builders for the libnftables JSON that nft 1.0.6 accepts (shapes checked against
// `nft -j list` output on this machine). Generic on purpose: portmap and firewall share them.
import type {
  NftBinop, NftCommand, NftConcat, NftCt, NftDnat, NftElement, NftExpr, NftFib, NftLiteral, NftMangle, NftMasquerade, NftMatch,
  NftMatchOp, NftMeta, NftObject, NftPayload, NftPrefix, NftRange, NftStatement, NftVerdict, NftVmap,
} from './types.js'

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'bridge'

/** Where an object lives: family + table. */
export interface TableRef {
  family: NftFamily
  table: string
}

/** Base-chain properties (a chain with a hook). */
export interface BaseChainSpec {
  type: 'filter' | 'nat' | 'route'
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting'
  /** numeric priority (JSON needs numbers; named priorities are text-syntax only) */
  prio: number
  policy?: 'accept' | 'drop'
}

// ---- objects -------------------------------------------------------------------------------

/** tableObj is the `table` object. */
export const tableObj = (t: TableRef): NftObject => ({ table: { family: t.family, name: t.table } })

/** chainObj is a regular chain, or a base chain when `base` is given. */
export const chainObj = (t: TableRef, name: string, base?: BaseChainSpec): NftObject => ({
  chain: {
    family: t.family, table: t.table, name,
    ...(base ? { type: base.type, hook: base.hook, prio: base.prio, policy: base.policy ?? 'accept' } : {}),
  },
})

/** mapObj is a map with a (possibly concatenated) key type and a data type such as "verdict". */
export const mapObj = (t: TableRef, name: string, keyType: string[], data: string): NftObject => ({
  map: { family: t.family, table: t.table, name, type: keyType.length === 1 ? keyType[0] : keyType, map: data },
})

/** setObj is a named set of `keyType` (e.g. "ipv4_addr"); flags such as "interval" for prefixes. */
export const setObj = (t: TableRef, name: string, keyType: string, flags?: ('interval' | 'constant' | 'timeout')[]): NftObject => ({
  set: { family: t.family, table: t.table, name, type: keyType, ...(flags && flags.length > 0 ? { flags } : {}) },
})

/** ruleObj is a rule; `comment` (≤128 bytes) is the only per-rule metadata nft 1.0.6 keeps in JSON. */
export const ruleObj = (t: TableRef, chain: string, expr: NftStatement[], comment?: string): NftObject => ({
  rule: { family: t.family, table: t.table, chain, expr, ...(comment !== undefined ? { comment } : {}) },
})

/** elementObj lists map/set elements; each is a key, or [key, value] for maps. */
export const elementObj = (t: TableRef, name: string, elem: NftElement[]): NftObject => ({
  element: { family: t.family, table: t.table, name, elem },
})

// ---- commands ------------------------------------------------------------------------------

export const add = (o: NftObject): NftCommand => ({ add: o })
export const flush = (o: NftObject): NftCommand => ({ flush: o })
export const del = (o: NftObject): NftCommand => ({ delete: o })

// ---- expressions ---------------------------------------------------------------------------

export type Op = Exclude<NftMatchOp, 'in'>

/** payload is a header field, e.g. payload('ip', 'daddr'), payload('th', 'dport'). */
export const payload = (protocol: string, field: string): NftPayload => ({ payload: { protocol, field } })
/** meta is a meta key, e.g. meta('l4proto'), meta('mark'), meta('iifname'). */
export const meta = (key: string): NftMeta => ({ meta: { key } })
/** fibDaddrType is `fib daddr type`. */
export const fibDaddrType = (): NftFib => ({ fib: { result: 'type', flags: ['daddr'] } })
/** concat joins expressions or values (`a . b . c`). */
export const concat = (...parts: NftExpr[]): NftConcat => ({ concat: parts })
/** prefix is ADDR/LEN. */
export const prefix = (addr: string, len: number): NftPrefix => ({ prefix: { addr, len } })
/** range is LOW-HIGH. */
export const range = (low: NftLiteral, high: NftLiteral): NftRange => ({ range: [low, high] })
/** ct is a conntrack key, e.g. ct('state'). */
export const ct = (key: 'state' | 'status'): NftCt => ({ ct: { key } })
/** bitAnd is `left & right`. */
export const bitAnd = (left: NftExpr, right: number): NftBinop => ({ '&': [left, right] })

// ---- statements ----------------------------------------------------------------------------

/** match is `left OP right`. */
export const match = (left: NftExpr, right: NftExpr, op: Op = '=='): NftMatch => ({ match: { op, left, right } })
/** inSet is `left RIGHT` with right a set or flags (`ct state { established, related }`, `ct status dnat`). */
export const inSet = (left: NftExpr, right: NftExpr): NftMatch => ({ match: { op: 'in', left, right } })
export const jump = (target: string): NftVerdict => ({ jump: { target } })
export const goto = (target: string): NftVerdict => ({ goto: { target } })
export const ret = (): NftVerdict => ({ return: null })
export const drop = (): NftVerdict => ({ drop: null })
export const accept = (): NftVerdict => ({ accept: null })
export const masquerade = (): NftMasquerade => ({ masquerade: null })
/** vmap is `KEY vmap @MAP`. */
export const vmap = (key: NftExpr, mapName: string): NftVmap => ({ vmap: { key, data: `@${mapName}` } })
/** markOr is `meta mark set meta mark | BITS`. */
export const markOr = (bits: number): NftMangle => ({ mangle: { key: meta('mark'), value: { '|': [meta('mark'), bits] } } })
/** markXor is `meta mark set meta mark ^ BITS` (clears bits known to be set). */
export const markXor = (bits: number): NftMangle => ({ mangle: { key: meta('mark'), value: { '^': [meta('mark'), bits] } } })
/** markHas is `meta mark & BITS == BITS`. */
export const markHas = (bits: number): NftMatch => match(bitAnd(meta('mark'), bits), bits)
/** dnat is `dnat ip to ADDR:PORT` or `dnat ip6 to [ADDR]:PORT` (the family is required in inet tables). */
export const dnat = (family: 'ip' | 'ip6', addr: string, port?: number): NftDnat =>
  ({ dnat: { family, addr, ...(port !== undefined ? { port } : {}) } })

// ---- verdict-map elements ------------------------------------------------------------------

/** elemKey is the key half of an element (for `delete element`); a multi-part key becomes a concatenation. */
export const elemKey = (key: readonly NftLiteral[]): NftExpr => (key.length === 1 ? (key[0] as NftLiteral) : { concat: [...key] })

/** gotoElem is one `KEY : goto CHAIN` element. */
export const gotoElem = (key: readonly NftLiteral[], chain: string): [NftExpr, NftVerdict] => [elemKey(key), goto(chain)]

/** jumpElem is one `KEY : jump CHAIN` element (the caller's chain goes on after CHAIN returns). */
export const jumpElem = (key: readonly NftLiteral[], chain: string): [NftExpr, NftVerdict] => [elemKey(key), jump(chain)]
