// What nft does to rule expressions and element keys between writing and listing (nft 1.0.6, seen
// on this machine): IPv6 addresses compressed, prefixes masked (a full-length prefix lists as the
// address), and a dependency match the next match implies is dropped (`meta nfproto ipv4` before
// an `ip ...` match, `meta l4proto tcp` before a `tcp ...` match). Also the reference scans the
// ruleset model needs (jump/goto targets, @set names) and nft's "conflicting protocols" check.
import { isIPv4, isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'

type Json = unknown
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)

const v6 = (s: string): string => new Address6(s).correctForm()

const maskV4 = (addr: string, len: number): string => {
  const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
  const net = Number(BigInt(n) & BigInt(mask))
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')
}

const maskV6 = (addr: string, len: number): string => {
  const big = BigInt(`0x${new Address6(addr).canonicalForm().replace(/:/g, '')}`)
  const mask = len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n)
  const hex = (big & mask).toString(16).padStart(32, '0')
  return v6(hex.match(/.{4}/g)!.join(':'))
}

/** canonicalValue: a value as nft lists it (addresses compressed, prefixes masked), recursively. */
export const canonicalValue = (v: Json): Json => {
  if (typeof v === 'string') return isIPv6(v) ? v6(v) : v
  if (Array.isArray(v)) return v.map(canonicalValue)
  if (!isObj(v)) return v
  const p = v.prefix
  if (isObj(p) && typeof p.addr === 'string' && typeof p.len === 'number') {
    if (isIPv4(p.addr)) return p.len === 32 ? p.addr : { prefix: { addr: maskV4(p.addr, p.len), len: p.len } }
    if (isIPv6(p.addr)) return p.len === 128 ? v6(p.addr) : { prefix: { addr: maskV6(p.addr, p.len), len: p.len } }
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonicalValue(x)]))
}

/** keyId: a canonical string for comparing element keys. */
export const keyId = (key: Json): string => JSON.stringify(canonicalValue(key))

const matchOf = (e: Json): { op?: Json; left?: Json; right?: Json } | undefined =>
  isObj(e) && isObj(e.match) ? (e.match as { op?: Json; left?: Json; right?: Json }) : undefined

const payloadProtocol = (left: Json): string | undefined =>
  isObj(left) && isObj(left.payload) && typeof left.payload.protocol === 'string' ? left.payload.protocol : undefined

const metaMatch = (e: Json, key: string): string | undefined => {
  const m = matchOf(e)
  if (!m || m.op !== '==' || !isObj(m.left) || !isObj(m.left.meta) || m.left.meta.key !== key) return undefined
  return typeof m.right === 'string' ? m.right : undefined
}

const NFPROTO_OF: Record<string, string> = { ip: 'ipv4', ip6: 'ipv6' }
const L4 = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp'])

/** a counter lists what it counted: the fake sees no packets */
const listedStatement = (e: Json): Json => (isObj(e) && 'counter' in e && e.counter === null ? { counter: { packets: 0, bytes: 0 } } : e)

/** anonymousSets: how many `{"set": [...]}` literals a rule holds (each is a kernel set with a handle). */
export const anonymousSets = (v: Json): number => {
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + anonymousSets(x), 0)
  if (!isObj(v)) return 0
  return (Array.isArray(v.set) ? 1 : 0) + Object.values(v).reduce((n: number, x) => n + anonymousSets(x), 0)
}

/** listedExpr: a rule's statements as `nft -j list` prints them. */
export const listedExpr = (expr: readonly Json[]): Json[] => {
  const later = (i: number, pred: (proto: string) => boolean): boolean =>
    expr.slice(i + 1).some((e) => {
      const p = payloadProtocol(matchOf(e)?.left)
      return p !== undefined && pred(p)
    })
  return expr
    .filter((e, i) => {
      const nf = metaMatch(e, 'nfproto')
      if (nf !== undefined && later(i, (p) => NFPROTO_OF[p] === nf)) return false
      const l4 = metaMatch(e, 'l4proto')
      if (l4 !== undefined && L4.has(l4) && later(i, (p) => p === l4)) return false
      return true
    })
    .map(listedStatement)
    .map(canonicalValue)
}

const NETWORK = new Set(['ip', 'ip6', 'arp'])

/** conflictingProtocols: nft refuses a rule that matches two network or two transport protocols. */
export const conflictingProtocols = (expr: readonly Json[]): string | undefined => {
  let net: string | undefined
  let l4: string | undefined
  for (const e of expr) {
    const p = payloadProtocol(matchOf(e)?.left)
    if (p === undefined) continue
    if (NETWORK.has(p)) {
      if (net !== undefined && net !== p) return `conflicting protocols specified: ${net} vs. ${p}`
      net = p
    } else if (L4.has(p)) {
      if (l4 !== undefined && l4 !== p) return `conflicting protocols specified: ${l4} vs. ${p}`
      l4 = p
    }
  }
  return undefined
}

/** verdictTargets: every jump/goto target inside v. */
export const verdictTargets = (v: Json): string[] => {
  if (Array.isArray(v)) return v.flatMap(verdictTargets)
  if (!isObj(v)) return []
  const out: string[] = []
  for (const [k, x] of Object.entries(v)) {
    if ((k === 'jump' || k === 'goto') && isObj(x) && typeof x.target === 'string') out.push(x.target)
    else out.push(...verdictTargets(x))
  }
  return out
}

/** setReferences: every `@name` inside v (vmap data, lookups). */
export const setReferences = (v: Json): string[] => {
  if (typeof v === 'string') return v.startsWith('@') ? [v.slice(1)] : []
  if (Array.isArray(v)) return v.flatMap(setReferences)
  if (!isObj(v)) return []
  return Object.values(v).flatMap(setReferences)
}
