// The `tc` forms a bandwidth-style plugin uses, on the fake's devices: a root tbf
// (`qdisc add|replace|change|del dev X root [handle H:] tbf rate R burst B limit L|latency T`),
// clsact / ingress qdiscs, and u32 filters with a mirred action
// (`filter add dev X ingress|egress [prio P] [handle [HT]::N] protocol PROTO u32 match u32 V M
// [at OFF] | match ip src|dst PREFIX ... action mirred egress|ingress redirect|mirror dev Y`,
// `filter del dev X ingress|egress [prio P [handle H protocol PROTO u32]]`), and the reads
// `-j qdisc show dev X`, `-j filter show dev X ingress|egress`. u32 hash-table ids, node ids and
// mirred indexes are allocated as the kernel does; error texts are iproute2 6.1's.
import { fail, unsupported } from './errors.js'
import { defaultRoot, findLink, linkByIndex, nsOf } from './links.js'
import type { FakeLink, FakeNamespace, FilterBlock, MirredAction, U32Match, U32Tp, World } from './model.js'
import { parseRate, parseSize, parseTime, tbfKernelParams, tbfOptions } from './tc-units.js'

const TBF_USAGE = 'Usage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]\n'
const KERNEL = '\nWe have an error talking to the kernel'

const device = (n: FakeNamespace, name: string | undefined): FakeLink => {
  if (name === undefined) return fail('Cannot find device ""')
  return findLink(n, name) ?? fail(`Cannot find device "${name}"`)
}

interface TbfSpec {
  rate: number
  burst: number
  limit?: number
  latency?: number
}

const parseTbf = (opts: string[], cmd: readonly string[]): TbfSpec => {
  const s: Partial<TbfSpec> = {}
  const bad = (what: string, v: string | undefined): never => fail(`tbf: illegal value for "${what}": "${v ?? ''}"`)
  for (let i = 0; i < opts.length; i += 2) {
    const [k, v] = [opts[i], opts[i + 1]]
    if (k === 'rate') s.rate = parseRate(v ?? '') ?? bad('rate', v)
    else if (k === 'burst' || k === 'buffer' || k === 'maxburst') s.burst = parseSize(v ?? '') ?? bad(k, v)
    else if (k === 'limit') {
      if (s.latency !== undefined) fail('tbf: specifying both "latency" and "limit" is not allowed')
      s.limit = parseSize(v ?? '') ?? bad('limit', v)
    } else if (k === 'latency') {
      if (s.limit !== undefined) fail('tbf: specifying both "limit" and "/latency" is not allowed')
      s.latency = parseTime(v ?? '') ?? bad('latency', v)
    } else unsupported('tc', cmd)
  }
  if (!s.rate) fail(`tbf: the "rate" parameter is mandatory.\n${TBF_USAGE}`)
  if (!s.burst) fail(`tbf: the "burst" parameter is mandatory.\n${TBF_USAGE}`)
  if (s.limit === undefined && s.latency === undefined) fail(`tbf: either "limit" or "latency" is required.\n${TBF_USAGE}`)
  return s as TbfSpec
}

const parseQdiscHandle = (v: string | undefined): number => {
  const m = /^([0-9a-f]{1,4}):?$/i.exec(v ?? '')
  if (!m) return fail(`Error: argument "${v ?? ''}" is wrong: invalid qdisc ID\n`)
  return parseInt(m[1] as string, 16)
}

const hex = (n: number): string => n.toString(16)

const releaseActions = (n: FakeNamespace, block: FilterBlock): void => {
  for (const tp of block.tps) for (const node of tp.nodes) for (const a of node.actions) n.actionIndexes.delete(a.index)
  block.tps = []
  delete block.u32Ids
}

const qdisc = (world: World, n: FakeNamespace, verb: string, args: string[], cmd: readonly string[]): void => {
  let dev: string | undefined
  let where: 'root' | 'clsact' | 'ingress' | undefined
  let handle: number | undefined
  let kind: string | undefined
  let opts: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === 'dev') dev = args[++i]
    else if (a === 'root') where = 'root'
    else if (a === 'handle') handle = parseQdiscHandle(args[++i])
    else if (a === 'clsact' || a === 'ingress') {
      if (where === 'root') fail(`Error: "${a}" is a duplicate parent ID`)
      where = a
      kind = a
    } else {
      kind = a
      opts = args.slice(i + 1)
      break
    }
  }
  if (kind !== undefined && kind !== 'clsact' && kind !== 'ingress' && kind !== 'tbf') return unsupported('tc', cmd)
  const tbf = kind === 'tbf' ? parseTbf(opts, cmd) : undefined
  const l = device(n, dev)
  if (where === undefined) return unsupported('tc', cmd)
  if (where === 'root') {
    const root = l.root
    if (verb === 'del' || verb === 'delete') {
      if (!root || root.isDefault) return fail('Error: Cannot delete qdisc with handle of zero.')
      if (handle !== undefined && handle !== root.handle) return fail('Error: Invalid handle.')
      if (kind !== undefined && kind !== root.kind) return fail('Error: Invalid qdisc name: must match existing qdisc.')
      l.root = l.up ? defaultRoot(l) : undefined
      return
    }
    if (!tbf) return unsupported('tc', cmd)
    const explicit = root && !root.isDefault ? root : undefined
    if (verb === 'add' && explicit) return fail('Error: Exclusivity flag on, cannot modify.')
    if (verb === 'change' && !explicit) return fail('Error: Specified qdisc not found.')
    if (explicit && handle !== undefined && handle !== explicit.handle) return fail('Error: Invalid handle.')
    const params = tbfKernelParams(tbf.rate, tbf.burst, tbf.limit !== undefined ? { limit: tbf.limit } : { latency: tbf.latency ?? 0 })
    const h = explicit?.handle ?? handle ?? (n.lastQdiscHandle += 1)
    l.root = { kind: 'tbf', isDefault: false, handle: h, rate: tbf.rate, ...params }
    return
  }
  // clsact / ingress
  if (verb === 'del' || verb === 'delete') {
    if (!l.ingress) return fail(l.ingressQueue ? 'Error: Invalid handle.' : 'Error: Cannot find specified qdisc on specified device.')
    if (l.ingress !== where) return fail('Error: Invalid qdisc name: must match existing qdisc.')
    delete l.ingress
    releaseActions(n, l.ingressFilters)
    releaseActions(n, l.egressFilters)
    return
  }
  if (l.ingress) {
    if (verb === 'add' || l.ingress !== where) return fail('Error: Exclusivity flag on, cannot modify.')
    return
  }
  if (verb === 'change') return fail('Error: Specified qdisc not found.')
  l.ingress = where
  l.ingressQueue = true
  void world
}

interface FilterArgs {
  dev?: string
  side?: 'ingress' | 'egress'
  prio?: number
  handle?: string
  protocol?: string
  kind?: string
  matches: U32Match[]
  action?: { mirred: 'redirect' | 'mirror'; direction: 'egress' | 'ingress'; dev: string }
}

const ipv4Int = (a: string): number | undefined =>
  /^\d{1,3}(\.\d{1,3}){3}$/.test(a) ? a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) : undefined

const parseFilter = (args: string[], cmd: readonly string[]): FilterArgs => {
  const f: FilterArgs = { matches: [] }
  let i = 0
  const next = (): string => args[++i] ?? unsupported('tc', cmd)
  for (; i < args.length; i++) {
    const a = args[i] as string
    if (a === 'dev') f.dev = next()
    else if (a === 'ingress' || a === 'egress') f.side = a
    else if (a === 'prio' || a === 'pref' || a === 'priority') {
      const v = next()
      if (!/^\d+$/.test(v) || Number(v) > 0xffff) fail(`Illegal "priority"`)
      f.prio = Number(v)
    } else if (a === 'handle') f.handle = next()
    else if (a === 'protocol') f.protocol = next()
    else if (a === 'u32') { f.kind = a; i++; break }
    else return unsupported('tc', cmd)
  }
  for (; i < args.length; i++) {
    const a = args[i] as string
    if (a === 'match') {
      const what = next()
      if (what === 'u32') {
        const value = Number(next())
        const mask = Number(next())
        let off = 0
        if (args[i + 1] === 'at') { i++; off = Number(next()) }
        if (!Number.isInteger(value) || !Number.isInteger(mask) || !Number.isInteger(off)) fail('Illegal "match"')
        f.matches.push({ value: (value & mask) >>> 0, mask: mask >>> 0, off })
      } else if (what === 'ip') {
        const field = next()
        const [addr = '', lenText = '32'] = next().split('/')
        const n = ipv4Int(addr)
        const len = Number(lenText)
        if ((field !== 'src' && field !== 'dst') || n === undefined || !(len >= 0 && len <= 32)) return unsupported('tc', cmd)
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
        f.matches.push({ value: (n & mask) >>> 0, mask, off: field === 'src' ? 12 : 16 })
      } else return unsupported('tc', cmd)
    } else if (a === 'action') {
      if (next() !== 'mirred') return unsupported('tc', cmd)
      const direction = next()
      const mirred = next()
      if (next() !== 'dev') return unsupported('tc', cmd)
      if ((direction !== 'egress' && direction !== 'ingress') || (mirred !== 'redirect' && mirred !== 'mirror')) return unsupported('tc', cmd)
      f.action = { mirred, direction, dev: next() }
    } else return unsupported('tc', cmd)
  }
  return f
}

/** parseU32Handle: [HT]::NODE → [ht or undefined, node]; anything else tc refuses or the fake does not model. */
const parseU32Handle = (h: string, cmd: readonly string[]): [number | undefined, number] => {
  const m = /^([0-9a-f]{0,3})::([0-9a-f]{1,3})$/i.exec(h)
  if (m) return [m[1] === '' ? undefined : parseInt(m[1] as string, 16), parseInt(m[2] as string, 16)]
  if (/^[0-9a-f]{1,3}:/i.test(h)) return fail(`Error: cls_u32: Handle specified hash table address mismatch.${KERNEL}`)
  if (/^\d+$/.test(h)) return fail('Illegal filter ID')
  return unsupported('tc', cmd)
}

const blockOf = (l: FakeLink, side: 'ingress' | 'egress' | undefined, cmd: readonly string[]): FilterBlock | undefined => {
  if (side === undefined) return unsupported('tc', cmd)
  if (side === 'ingress') return l.ingress ? l.ingressFilters : undefined
  return l.ingress === 'clsact' ? l.egressFilters : undefined
}

const newHtid = (block: FilterBlock): number => {
  if (!block.u32Ids) {
    block.u32Ids = { last: 0 }
    return 0x800
  }
  const used = new Set(block.tps.map((t) => t.htid))
  let id = block.u32Ids.last
  for (let tries = 0; tries < 0x7fe; tries++) {
    id = (id % 0x7fe) + 1
    if (!used.has(0x800 | id)) break
  }
  block.u32Ids.last = id
  return 0x800 | id
}

const lowestFree = (used: Set<number>, from: number): number => {
  let i = from
  while (used.has(i)) i++
  return i
}

const filterAdd = (n: FakeNamespace, f: FilterArgs, cmd: readonly string[]): void => {
  if (f.kind !== 'u32') return unsupported('tc', cmd)
  const action = f.action
  // tc resolves the action's device while parsing, before the filter's own
  const target = action ? (findLink(n, action.dev) ?? fail(`Cannot find device "${action.dev}"\nbad action parsing\nparse_action: bad value (5:mirred)!\nIllegal "action"`)) : undefined
  const l = device(n, f.dev)
  const block = blockOf(l, f.side, cmd) ?? fail(`Error: Parent Qdisc doesn't exists.${KERNEL}`)
  const protocol = f.protocol ?? 'all'
  const prio = f.prio ?? (block.tps.length === 0 ? 0xc000 : Math.min(...block.tps.map((t) => t.prio)) - 1)
  let tp = block.tps.find((t) => t.prio === prio)
  if (tp && tp.protocol !== protocol) fail(`Error: Protocol mismatch for filter with specified priority.${KERNEL}`)
  const [ht, kidWanted] = f.handle !== undefined ? parseU32Handle(f.handle, cmd) : [undefined, undefined]
  const htid = tp?.htid ?? (block.u32Ids ? undefined : 0x800)
  if (ht !== undefined && htid !== undefined && ht !== htid) fail(`Error: cls_u32: Handle specified hash table address mismatch.${KERNEL}`)
  if (tp && kidWanted !== undefined && tp.nodes.some((x) => x.kid === kidWanted)) fail(`Error: Filter already exists.${KERNEL}`)
  if (!tp) {
    const created: U32Tp = { prio, protocol, htid: 0, nodes: [] }
    created.htid = newHtid(block)
    if (ht !== undefined && ht !== created.htid) fail(`Error: cls_u32: Handle specified hash table address mismatch.${KERNEL}`)
    block.tps.push(created)
    block.tps.sort((a, b) => a.prio - b.prio)
    tp = created
  }
  const kid = kidWanted ?? lowestFree(new Set(tp.nodes.map((x) => x.kid)), 0x800)
  const actions: MirredAction[] = []
  if (action && target) {
    const index = lowestFree(n.actionIndexes, 1)
    n.actionIndexes.add(index)
    actions.push({ mirred: action.mirred, direction: action.direction, toIfindex: target.ifindex, index })
  }
  tp.nodes.push({ kid, matches: f.matches.length > 0 ? f.matches : [{ value: 0, mask: 0, off: 0 }], actions })
  tp.nodes.sort((a, b) => a.kid - b.kid)
}

const filterDel = (n: FakeNamespace, f: FilterArgs, cmd: readonly string[]): void => {
  const l = device(n, f.dev)
  const block = blockOf(l, f.side, cmd) ?? fail(`Error: Parent Qdisc doesn't exists.${KERNEL}`)
  const release = (tps: U32Tp[]): void => {
    for (const tp of tps) for (const node of tp.nodes) for (const a of node.actions) n.actionIndexes.delete(a.index)
  }
  if (f.prio === undefined) {
    release(block.tps)
    block.tps = []
    delete block.u32Ids
    return
  }
  const tp = block.tps.find((t) => t.prio === f.prio && (f.protocol === undefined || t.protocol === f.protocol))
  if (!tp) return fail(`Error: Filter with specified priority/protocol not found.${KERNEL}`)
  if (f.handle === undefined) {
    release([tp])
    block.tps = block.tps.filter((t) => t !== tp)
    if (block.tps.length === 0) delete block.u32Ids
    return
  }
  if (f.kind !== 'u32') return unsupported('tc', cmd)
  const [ht, kid] = parseU32Handle(f.handle, cmd)
  const node = tp.nodes.find((x) => x.kid === kid && (ht === undefined || ht === tp.htid))
  if (!node) return fail(`Error: Specified filter handle not found.${KERNEL}`)
  release([{ ...tp, nodes: [node] }])
  tp.nodes = tp.nodes.filter((x) => x !== node)
}

/** tcRun applies one `tc ARGS` command in namespace ns, or throws what tc would print. */
export const tcRun = (world: World, ns: string, args: readonly string[]): void => {
  const n = nsOf(world, ns)
  if (!n) throw new Error(`semantic fake: namespace ${JSON.stringify(ns)} vanished`)
  const [obj, verb, ...rest] = args
  if (obj === 'qdisc' && ['add', 'replace', 'change', 'del', 'delete'].includes(verb ?? '')) return qdisc(world, n, verb as string, rest, args)
  if (obj === 'filter' && ['add', 'del', 'delete'].includes(verb ?? '')) {
    const f = parseFilter(rest, args)
    return verb === 'add' ? filterAdd(n, f, args) : filterDel(n, f, args)
  }
  return unsupported('tc', args)
}

// ---- reads ----------------------------------------------------------------------------------

const PRIOMAP = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]

const qdiscJson = (l: FakeLink): unknown[] => {
  const out: unknown[] = []
  const r = l.root
  if (r?.kind === 'tbf') out.push({ kind: 'tbf', handle: `${hex(r.handle)}:`, root: true, options: tbfOptions(r.rate, r.buffer, r.limit) })
  else if (r?.kind === 'noqueue') out.push({ kind: 'noqueue', handle: '0:', root: true, options: {} })
  else if (r?.kind === 'pfifo_fast') out.push({ kind: 'pfifo_fast', handle: '0:', root: true, options: { bands: 3, priomap: PRIOMAP, multiqueue: false } })
  if (l.ingress) out.push({ kind: l.ingress, handle: 'ffff:', parent: 'ffff:fff1', options: {} })
  return out
}

const filterJson = (n: FakeNamespace, block: FilterBlock): unknown[] =>
  block.tps.flatMap((tp) => {
    const head = { protocol: tp.protocol, pref: tp.prio, kind: 'u32', chain: 0 }
    return [
      head,
      { ...head, options: { fh: `${hex(tp.htid)}:`, ht_divisor: 1 } },
      ...tp.nodes.map((node) => ({
        ...head,
        options: {
          fh: `${hex(tp.htid)}::${hex(node.kid)}`, order: node.kid, key_ht: hex(tp.htid), bkt: '0', not_in_hw: true,
          // iproute2 prints one "match" key per key; with several, JSON keeps the last
          match: ((m: U32Match) => ({ value: hex(m.value), mask: hex(m.mask), offmask: '', off: m.off }))(node.matches.at(-1) as U32Match),
          ...(node.actions.length > 0
            ? {
                actions: node.actions.map((a, i) => ({
                  order: i + 1, kind: 'mirred', mirred_action: a.mirred, direction: a.direction,
                  to_dev: linkByIndex(n, a.toIfindex)?.name ?? '*',
                  control_action: { type: a.mirred === 'redirect' ? 'stolen' : 'pipe' }, index: a.index, ref: 1, bind: 1,
                })),
              }
            : {}),
        },
      })),
    ]
  })

/** tcJson answers `tc -j ARGS` in namespace ns. */
export const tcJson = (world: World, ns: string, args: readonly string[]): unknown => {
  const n = nsOf(world, ns)
  if (!n) throw new Error(`semantic fake: namespace ${JSON.stringify(ns)} vanished`)
  const [obj, verb, devKw, dev, side, ...more] = args
  if (verb !== 'show' || devKw !== 'dev' || more.length > 0) return unsupported('tc', args)
  const l = device(n, dev)
  if (obj === 'qdisc' && side === undefined) return qdiscJson(l)
  if (obj === 'filter' && (side === 'ingress' || side === 'egress')) {
    const block = blockOf(l, side, args)
    return block ? filterJson(n, block) : []
  }
  return unsupported('tc', args)
}
