// libnftables JSON (nft 1.0.6 dialect): the commands of a batch, the objects nft lists, and the
// expressions and statements cni-chain writes (the subset its rules use, typed so a builder cannot
// put a statement where an expression goes). Objects stay loose: what `nft -j list` prints is read
// defensively (src/nft/read.ts), and a rule read back may hold statements we never write.

/** An object as written in a command or printed by `nft -j list`. */
export type NftObject = { [kind: string]: { [key: string]: unknown } }

/** One command of a batch: {add: {...}}, {delete: {...}}, {flush: {...}}, ... */
export type NftCommand = { [verb in 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush']?: NftObject }

// ---- expressions: values a statement matches, maps or sets ---------------------------------

/** A literal: an address, a port, an interface name, a keyword (`local`, `ipv4`), a set reference `@NAME`. */
export type NftLiteral = string | number

/** A header field, e.g. `ip daddr` ({protocol: 'ip', field: 'daddr'}), `th dport`. */
export interface NftPayload { payload: { protocol: string; field: string } }
/** A meta key: `meta l4proto`, `meta nfproto`, `meta mark`, `meta iifname`... */
export interface NftMeta { meta: { key: string } }
/** A conntrack key: `ct state`, `ct status`. */
export interface NftCt { ct: { key: 'state' | 'status' } }
/** A fib lookup: `fib daddr type`. */
export interface NftFib { fib: { result: 'type' | 'oif' | 'oifname'; flags: ('saddr' | 'daddr' | 'iif' | 'oif')[] } }
/** `a . b . c`. */
export interface NftConcat { concat: NftExpr[] }
/** ADDR/LEN. */
export interface NftPrefix { prefix: { addr: string; len: number } }
/** LOW-HIGH. */
export interface NftRange { range: [NftLiteral, NftLiteral] }
/** Bitwise `&`, `|`, `^` of an expression and a value. */
export type NftBinop = { '&': [NftExpr, NftExpr] } | { '|': [NftExpr, NftExpr] } | { '^': [NftExpr, NftExpr] }

/** An expression. A plain array is an anonymous set of literals (`{ established, related }`). */
export type NftExpr = NftLiteral | NftLiteral[] | NftPayload | NftMeta | NftCt | NftFib | NftConcat | NftPrefix | NftRange | NftBinop

// ---- statements: what a rule is made of ----------------------------------------------------

/** A verdict: ends the rule (accept, drop, return) or moves to a chain (jump returns, goto does not). */
export type NftVerdict =
  | { accept: null }
  | { drop: null }
  | { return: null }
  | { jump: { target: string } }
  | { goto: { target: string } }

/** The match operators we use (`in`: membership in a set or flags). */
export type NftMatchOp = '==' | '!=' | 'in'

/** `left OP right`. */
export interface NftMatch { match: { op: NftMatchOp; left: NftExpr; right: NftExpr } }
/** `KEY vmap @MAP`: the verdict the named map gives for KEY. */
export interface NftVmap { vmap: { key: NftExpr; data: string } }
/** `KEY set VALUE` (e.g. `meta mark set meta mark | 0x2000`). */
export interface NftMangle { mangle: { key: NftExpr; value: NftExpr } }
/** `dnat ip to ADDR[:PORT]` (the family is required in inet tables). */
export interface NftDnat { dnat: { family: 'ip' | 'ip6'; addr: string; port?: number } }
/** `masquerade`. */
export interface NftMasquerade { masquerade: null }
/** `counter` (packets and bytes appear when listed). */
export interface NftCounter { counter: null | { packets: number; bytes: number } }

/** A statement of a rule we write. */
export type NftStatement = NftVerdict | NftMatch | NftVmap | NftMangle | NftDnat | NftMasquerade | NftCounter

/** A set or map element: a key (sets, and `delete element`), or [key, verdict] in a verdict map. */
export type NftElement = NftExpr | [NftExpr, NftVerdict]
