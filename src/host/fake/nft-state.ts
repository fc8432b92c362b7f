// An in-memory nftables ruleset that applies libnftables JSON batches the way `nft -j -f` does:
// one transaction, all of it or nothing, with the kernel's errno as the error (EEXIST, ENOENT,
// EBUSY, EOPNOTSUPP). Semantics checked on this machine (kernel 6.18, nft 1.0.6):
// - add of an existing table/chain/set is a no-op, create is EEXIST; an existing chain re-added
//   with a different hook, type or priority is EOPNOTSUPP (policy may change); a set re-added
//   with another type is EEXIST;
// - add element of an existing key: no-op with the same value, EEXIST with another (create: EEXIST);
// - delete of anything missing is ENOENT; delete chain removes its rules and is EBUSY while a
//   rule of another chain or a verdict-map element jumps/goes to it; delete set is EBUSY while a
//   rule uses it; elements and the chain they point at can go in one batch (kernel >= 6.2);
// - handles: one counter per table (chains, sets, anonymous sets, rules), one per namespace for
//   tables; a failed batch still consumes the handles it allocated.
import type { NftCommand } from '../../nft/types.js'
import { anonymousSets, conflictingProtocols, keyId, setReferences, verdictTargets, canonicalValue } from './nft-expr.js'

export interface NftRule {
  handle: number
  expr: unknown[]
  comment?: string
}

export interface NftBase {
  type: string
  hook: string
  prio: number
  policy: string
}

export interface NftChain {
  name: string
  handle: number
  base?: NftBase
  rules: NftRule[]
}

export interface NftElem {
  /** canonical key (addresses as nft lists them) */
  key: unknown
  /** the value of a map element (a verdict for verdict maps) */
  value?: unknown
}

export interface NftSet {
  name: string
  handle: number
  isMap: boolean
  type: string | string[]
  /** data type of a map ("verdict", "ipv4_addr", ...) */
  map?: string
  flags?: string[]
  elems: NftElem[]
}

export interface NftTable {
  family: string
  name: string
  handle: number
  lastHandle: number
  chains: NftChain[]
  sets: NftSet[]
}

export interface NftState {
  tables: NftTable[]
  lastTableHandle: number
}

export const emptyNftState = (): NftState => ({ tables: [], lastTableHandle: 0 })

const ERRNO = {
  EEXIST: 'File exists',
  ENOENT: 'No such file or directory',
  EBUSY: 'Device or resource busy',
  EOPNOTSUPP: 'Operation not supported',
  EINVAL: 'Invalid argument',
} as const

/** NftBatchError: the stderr nft prints for a refused batch. */
export class NftBatchError extends Error {
  constructor(readonly stderr: string) {
    super(stderr)
  }
}

const kernel = (errno: keyof typeof ERRNO): never => {
  throw new NftBatchError(`internal:0:0-0: Error: Could not process rule: ${ERRNO[errno]}\n`)
}
const userspace = (msg: string): never => {
  throw new NftBatchError(`internal:0:0-0: Error: ${msg}\n`)
}
/** unsupported: a command shape the fake does not model (a test-writing error, not a host answer). */
const unsupported = (what: string): never => {
  throw new Error(`semantic fake nft: unsupported ${what}`)
}

type Spec = Record<string, unknown>
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'])
const VERBS = ['add', 'create', 'insert', 'replace', 'delete', 'flush'] as const
type Verb = (typeof VERBS)[number]

const str = (s: Spec, k: string): string => {
  const v = s[k]
  if (typeof v !== 'string' || v === '') return userspace(`${k} missing or not a string`)
  return v
}

const findTable = (st: NftState, s: Spec, tableKey: 'name' | 'table'): NftTable | undefined => {
  const family = str(s, 'family')
  if (!FAMILIES.has(family)) userspace(`unknown family ${JSON.stringify(family)}`)
  const name = str(s, tableKey)
  return st.tables.find((t) => t.family === family && t.name === name)
}
const needTable = (st: NftState, s: Spec): NftTable => findTable(st, s, 'table') ?? kernel('ENOENT')

/** chainRefs: how many rules of other chains and verdict-map elements jump or go to `name`. */
export const chainRefs = (t: NftTable, name: string): number => {
  let n = 0
  for (const c of t.chains) {
    if (c.name === name) continue
    for (const r of c.rules) n += verdictTargets(r.expr).filter((x) => x === name).length
  }
  for (const set of t.sets) for (const e of set.elems) n += verdictTargets(e.value).filter((x) => x === name).length
  return n
}

const checkVerdicts = (t: NftTable, v: unknown): void => {
  for (const target of verdictTargets(v)) {
    const c = t.chains.find((x) => x.name === target)
    if (!c) kernel('ENOENT')
    if (c?.base) kernel('EOPNOTSUPP')
  }
}

const tableCmd = (st: NftState, verb: Verb, s: Spec): void => {
  const t = findTable(st, s, 'name')
  switch (verb) {
    case 'add':
    case 'create':
      if (t) return verb === 'create' ? kernel('EEXIST') : undefined
      st.tables.push({ family: str(s, 'family'), name: str(s, 'name'), handle: ++st.lastTableHandle, lastHandle: 0, chains: [], sets: [] })
      return
    case 'delete':
      if (!t) return kernel('ENOENT')
      st.tables.splice(st.tables.indexOf(t), 1)
      return
    case 'flush':
      // rules go, sets keep their elements (checked on nft 1.0.6)
      if (!t) return kernel('ENOENT')
      for (const c of t.chains) c.rules = []
      return
    default:
      return unsupported(`${verb} table`)
  }
}

const baseOf = (s: Spec): NftBase | undefined => {
  if (s.hook === undefined) return undefined
  if (typeof s.type !== 'string' || typeof s.hook !== 'string' || typeof s.prio !== 'number') return userspace('base chain needs type, hook and numeric prio')
  return { type: s.type, hook: s.hook, prio: s.prio, policy: typeof s.policy === 'string' ? s.policy : 'accept' }
}

const chainCmd = (st: NftState, verb: Verb, s: Spec): void => {
  const t = needTable(st, s)
  const name = str(s, 'name')
  const c = t.chains.find((x) => x.name === name)
  switch (verb) {
    case 'add':
    case 'create': {
      const base = baseOf(s)
      if (c) {
        if (verb === 'create') return kernel('EEXIST')
        if (!base) return
        if (!c.base || c.base.type !== base.type || c.base.hook !== base.hook || c.base.prio !== base.prio) return kernel('EOPNOTSUPP')
        c.base.policy = base.policy
        return
      }
      t.chains.push({ name, handle: ++t.lastHandle, ...(base ? { base } : {}), rules: [] })
      return
    }
    case 'delete':
      if (!c) return kernel('ENOENT')
      if (chainRefs(t, name) > 0) return kernel('EBUSY')
      t.chains.splice(t.chains.indexOf(c), 1)
      return
    case 'flush':
      if (!c) return kernel('ENOENT')
      c.rules = []
      return
    default:
      return unsupported(`${verb} chain`)
  }
}

const ruleCmd = (st: NftState, verb: Verb, s: Spec): void => {
  const t = needTable(st, s)
  const c = t.chains.find((x) => x.name === str(s, 'chain')) ?? kernel('ENOENT')
  const at = s.handle === undefined ? -1 : c.rules.findIndex((r) => r.handle === s.handle)
  if (s.handle !== undefined && at < 0) kernel('ENOENT')
  if (verb === 'delete') {
    if (at < 0) return userspace('delete rule needs a handle')
    c.rules.splice(at, 1)
    return
  }
  if (verb !== 'add' && verb !== 'insert' && verb !== 'replace' && verb !== 'create') return unsupported(`${verb} rule`)
  if (!Array.isArray(s.expr)) return userspace('rule without expr')
  const conflict = conflictingProtocols(s.expr)
  if (conflict) userspace(conflict)
  checkVerdicts(t, s.expr)
  for (const name of setReferences(s.expr)) if (!t.sets.some((x) => x.name === name)) kernel('ENOENT')
  // an anonymous set in the rule is a set of the table: it takes a handle first
  t.lastHandle += anonymousSets(s.expr)
  const rule: NftRule = { handle: ++t.lastHandle, expr: structuredClone(s.expr), ...(typeof s.comment === 'string' ? { comment: s.comment } : {}) }
  if (verb === 'replace') {
    if (at < 0) return userspace('replace rule needs a handle')
    c.rules[at] = rule
  } else if (verb === 'insert') c.rules.splice(at < 0 ? 0 : at, 0, rule)
  else c.rules.splice(at < 0 ? c.rules.length : at + 1, 0, rule)
}

const sameType = (a: string | string[], b: unknown): boolean => {
  const norm = (x: unknown): string => JSON.stringify(Array.isArray(x) && x.length === 1 ? x[0] : x)
  return norm(a) === norm(b)
}

const setCmd = (st: NftState, verb: Verb, s: Spec, isMap: boolean): void => {
  const t = needTable(st, s)
  const name = str(s, 'name')
  const set = t.sets.find((x) => x.name === name)
  const mine = set && set.isMap === isMap ? set : undefined
  switch (verb) {
    case 'add':
    case 'create': {
      if (set) {
        if (verb === 'create' || set.isMap !== isMap || !sameType(set.type, s.type) || (isMap && set.map !== s.map)) return kernel('EEXIST')
        if (s.elem !== undefined) addElements(t, set, s.elem, 'add')
        return
      }
      const type = s.type
      if (!(typeof type === 'string' || (Array.isArray(type) && type.every((x) => typeof x === 'string')))) return userspace('set type missing')
      if (isMap && typeof s.map !== 'string') return userspace('map data type missing')
      const created: NftSet = {
        name, handle: ++t.lastHandle, isMap,
        type: Array.isArray(type) && type.length === 1 ? (type[0] as string) : (type as string | string[]),
        ...(isMap ? { map: s.map as string } : {}),
        ...(Array.isArray(s.flags) ? { flags: s.flags as string[] } : {}),
        elems: [],
      }
      t.sets.push(created)
      if (s.elem !== undefined) addElements(t, created, s.elem, 'add')
      return
    }
    case 'delete':
      if (!mine) return kernel('ENOENT')
      if (t.chains.some((c) => c.rules.some((r) => setReferences(r.expr).includes(name)))) return kernel('EBUSY')
      t.sets.splice(t.sets.indexOf(mine), 1)
      return
    case 'flush':
      if (!mine) return kernel('ENOENT')
      mine.elems = []
      return
    default:
      return unsupported(`${verb} ${isMap ? 'map' : 'set'}`)
  }
}

const addElements = (t: NftTable, set: NftSet, elems: unknown, verb: 'add' | 'create'): void => {
  if (!Array.isArray(elems)) return userspace('elem must be an array')
  for (const raw of elems) {
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'elem' in raw) unsupported('element options (timeout, comment)')
    let key: unknown
    let value: unknown
    if (set.isMap) {
      if (!Array.isArray(raw) || raw.length !== 2) return userspace('map element needs [key, value]')
      ;[key, value] = raw as [unknown, unknown]
      if (set.map === 'verdict') checkVerdicts(t, value)
    } else key = raw
    const id = keyId(key)
    const have = set.elems.find((e) => keyId(e.key) === id)
    if (have) {
      if (verb === 'create') kernel('EEXIST')
      if (set.isMap && JSON.stringify(have.value) !== JSON.stringify(value)) kernel('EEXIST')
      continue
    }
    set.elems.push({ key: canonicalValue(key), ...(set.isMap ? { value: structuredClone(value) } : {}) })
  }
}

const elementCmd = (st: NftState, verb: Verb, s: Spec): void => {
  const t = needTable(st, s)
  const set = t.sets.find((x) => x.name === str(s, 'name')) ?? kernel('ENOENT')
  if (verb === 'add' || verb === 'create') return addElements(t, set, s.elem, verb)
  if (verb !== 'delete') return unsupported(`${verb} element`)
  if (!Array.isArray(s.elem)) return userspace('elem must be an array')
  for (const raw of s.elem) {
    const key = set.isMap && Array.isArray(raw) && raw.length === 2 ? raw[0] : raw
    const at = set.elems.findIndex((e) => keyId(e.key) === keyId(key))
    if (at < 0) kernel('ENOENT')
    set.elems.splice(at, 1)
  }
}

const applyOne = (st: NftState, cmd: NftCommand): void => {
  const verbs = Object.keys(cmd) as Verb[]
  if (verbs.length !== 1 || !VERBS.includes(verbs[0] as Verb)) return unsupported(`command ${JSON.stringify(cmd)}`)
  const verb = verbs[0] as Verb
  const obj = cmd[verb] as Record<string, Spec>
  const kinds = Object.keys(obj)
  if (kinds.length !== 1) return unsupported(`object ${JSON.stringify(obj)}`)
  const kind = kinds[0] as string
  const spec = obj[kind] as Spec
  switch (kind) {
    case 'table': return tableCmd(st, verb, spec)
    case 'chain': return chainCmd(st, verb, spec)
    case 'rule': return ruleCmd(st, verb, spec)
    case 'set': return setCmd(st, verb, spec, false)
    case 'map': return setCmd(st, verb, spec, true)
    case 'element': return elementCmd(st, verb, spec)
    default: return unsupported(`object kind ${kind}`)
  }
}

/**
 * applyNftBatch applies the batch to `state` as one transaction: on success `state` holds the
 * result; on failure it is unchanged (but for the handle counters, as in the kernel) and the
 * NftBatchError (or an Error for shapes the fake does not model) is thrown.
 */
export const applyNftBatch = (state: NftState, batch: readonly NftCommand[]): void => {
  const work = structuredClone(state)
  try {
    for (const cmd of batch) applyOne(work, cmd)
  } catch (err) {
    state.lastTableHandle = work.lastTableHandle
    for (const t of state.tables) {
      const w = work.tables.find((x) => x.handle === t.handle)
      if (w) t.lastHandle = w.lastHandle
    }
    throw err
  }
  state.tables = work.tables
  state.lastTableHandle = work.lastTableHandle
}
