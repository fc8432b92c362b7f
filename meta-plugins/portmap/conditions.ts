// conditionsV4 / conditionsV6: extra nft matches in front of a pod's rules. The reference plugin
// pastes the strings into nft text; JSON needs structured expressions, and pasting text would let
// a config inject any statement. So we accept a small documented grammar and build JSON from it:
//
//   condition := selector [ "==" | "!=" ] value
//   selector  := ip saddr|daddr (V4 only) | ip6 saddr|daddr (V6 only)
//              | tcp|udp|sctp|th sport|dport | [meta] iifname|oifname | meta mark
//   value     := ADDRESS[/LEN] | PORT[-PORT] | IFNAME (letters, digits, . _ - and a trailing *) | NUMBER
//
// Tokens may be given one per array entry (["ip","saddr","1.2.3.4"]) or space-separated.
import { isIPv4, isIPv6 } from 'node:net'
import { invalidConfig } from '../../src/cni/errors.js'
import { match, meta, payload, prefix, range, type Op } from '../../src/nft/build.js'
import type { NftExpr, NftMatch } from '../../src/nft/types.js'

type Kind = 'addr4' | 'addr6' | 'port' | 'ifname' | 'number'

interface Selector { expr: () => NftExpr; kind: Kind }

// a Map, not an object literal: a token such as "constructor" or "__proto__" must not find
// Object.prototype's members
const SELECTORS = new Map<string, Selector>([
  ['ip saddr', { expr: () => payload('ip', 'saddr'), kind: 'addr4' }],
  ['ip daddr', { expr: () => payload('ip', 'daddr'), kind: 'addr4' }],
  ['ip6 saddr', { expr: () => payload('ip6', 'saddr'), kind: 'addr6' }],
  ['ip6 daddr', { expr: () => payload('ip6', 'daddr'), kind: 'addr6' }],
  ['iifname', { expr: () => meta('iifname'), kind: 'ifname' }],
  ['oifname', { expr: () => meta('oifname'), kind: 'ifname' }],
  ['meta iifname', { expr: () => meta('iifname'), kind: 'ifname' }],
  ['meta oifname', { expr: () => meta('oifname'), kind: 'ifname' }],
  ['meta mark', { expr: () => meta('mark'), kind: 'number' }],
])
for (const proto of ['tcp', 'udp', 'sctp', 'th']) {
  for (const field of ['sport', 'dport']) SELECTORS.set(`${proto} ${field}`, { expr: () => payload(proto, field), kind: 'port' })
}

const fail = (field: string, msg: string): never => {
  throw invalidConfig(`${field}: ${msg} (see the portmap README for the accepted grammar)`)
}

const parsePort = (s: string): number | undefined => (/^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? Number(s) : undefined)

const parseValue = (kind: Kind, v: string, field: string): NftExpr => {
  switch (kind) {
    case 'addr4':
    case 'addr6': {
      const [addr = '', len, extra] = v.split('/')
      const ok = kind === 'addr4' ? isIPv4(addr) : isIPv6(addr) && !addr.includes('%')
      const max = kind === 'addr4' ? 32 : 128
      if (!ok || extra !== undefined) return fail(field, `${JSON.stringify(v)} is not an IPv${kind === 'addr4' ? 4 : 6} address or prefix`)
      if (len === undefined) return addr
      if (!/^\d{1,3}$/.test(len) || Number(len) > max) return fail(field, `bad prefix length in ${JSON.stringify(v)}`)
      return prefix(addr, Number(len))
    }
    case 'port': {
      const m = /^(\d+)-(\d+)$/.exec(v)
      if (m) {
        const lo = parsePort(m[1] as string)
        const hi = parsePort(m[2] as string)
        if (lo === undefined || hi === undefined || lo > hi) return fail(field, `bad port range ${JSON.stringify(v)}`)
        return range(lo, hi)
      }
      return parsePort(v) ?? fail(field, `bad port ${JSON.stringify(v)}`)
    }
    case 'ifname': {
      const name = v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v
      if (!/^[A-Za-z0-9_.-]{1,15}\*?$/.test(name) || name === '*') return fail(field, `bad interface name ${JSON.stringify(v)}`)
      return name
    }
    case 'number':
      if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(v) || Number(v) > 0xffffffff) return fail(field, `bad number ${JSON.stringify(v)}`)
      return Number(v)
  }
}

/**
 * parseConditions turns conditionsV4 / conditionsV6 into nft JSON match statements.
 * Throws a code 7 CniError naming the first token it does not accept.
 */
export const parseConditions = (raw: unknown, family: 4 | 6): NftMatch[] => {
  const field = `conditionsV${family}`
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw) || raw.some((t) => typeof t !== 'string')) return fail(field, 'must be an array of strings')
  const tokens = (raw as string[]).flatMap((t) => t.trim().split(/\s+/)).filter((t) => t !== '')
  if (tokens[0]?.startsWith('-') || tokens[0] === '!') {
    return fail(field, 'looks like iptables syntax; this portmap is nftables-only')
  }
  const out: NftMatch[] = []
  let i = 0
  while (i < tokens.length) {
    const one = tokens[i] as string
    const two = `${one} ${tokens[i + 1] ?? ''}`
    const sel = SELECTORS.has(two) ? two : SELECTORS.has(one) ? one : undefined
    if (sel === undefined) return fail(field, `unknown selector at ${JSON.stringify(tokens.slice(i, i + 2).join(' '))}`)
    const spec = SELECTORS.get(sel) as Selector
    if ((spec.kind === 'addr4' && family === 6) || (spec.kind === 'addr6' && family === 4)) {
      return fail(field, `${sel} cannot be used for IPv${family}`)
    }
    i += sel.split(' ').length
    let op: Op = '=='
    if (tokens[i] === '==' || tokens[i] === '!=') {
      op = tokens[i] as Op
      i++
    }
    const value = tokens[i]
    if (value === undefined) return fail(field, `missing value after ${sel}`)
    i++
    out.push(match(spec.expr(), parseValue(spec.kind, value, field), op))
  }
  return out
}

const L4 = new Set(['tcp', 'udp', 'sctp'])

/**
 * checkConditionProtocols refuses conditions that no mapping can satisfy: a `tcp sport …`
 * condition on a udp mapping makes nft refuse the whole rule ("conflicting protocols"), so it is a
 * config error (code 7) before any change, not a failed transaction.
 */
export const checkConditionProtocols = (conds: NftMatch[], family: 4 | 6, protocols: readonly string[]): void => {
  const named = new Set(conds.flatMap((c) => {
    const left = c.match.left as { payload?: { protocol?: string } }
    const proto = left.payload?.protocol
    return proto !== undefined && L4.has(proto) ? [proto] : []
  }))
  if (named.size === 0) return
  const field = `conditionsV${family}`
  if (named.size > 1) fail(field, `matches on ${[...named].join(' and ')} together can never hold`)
  const [proto] = named
  const other = protocols.find((p) => p !== proto)
  if (other !== undefined) fail(field, `matches ${proto} headers, but a ${other} port is mapped (use th sport/dport for any protocol)`)
}
