// The `ip` forms the plugins use, on the fake's links: `link set [dev] X ATTR...` (up, down, mtu,
// address, promisc, allmulticast, txqueuelen), `link add [name] X [mtu N] [address M] [txqueuelen
// N] type ifb|bridge|veth [peer [name] P [netns NS]]`, `link del [dev] X`, and the reads `-j [-d]
// link show [dev X]`, `-j addr show [dev X]` (seeded addresses) and `-j route get ADDR`. Error texts are iproute2 6.1's.
import { isIP } from 'node:net'
import { fail, unsupported } from './errors.js'
import { addrJson, createLink, createVethPair, deleteLink, findLink, linkJson, nsOf, setMtu, setUp } from './links.js'
import type { FakeLink, FakeNamespace, World } from './model.js'

const noDevice = (name: string): never => fail(`Cannot find device "${name}"`)
const IFNAME = /^[^\s/:]{1,15}$/

const parseUint = (attr: string, v: string | undefined): number => {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 0xffffffff) return fail(`Error: argument "${v ?? ''}" is wrong: Invalid "${attr}" value\n`)
  return Number(v)
}

const parseOnOff = (attr: string, v: string | undefined): boolean => {
  if (v !== 'on' && v !== 'off') return fail(`Error: argument of "${attr}" must be "on" or "off", not "${v ?? ''}"`)
  return v === 'on'
}

const parseMac = (v: string | undefined): string => {
  if (v === undefined || !/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(v)) return fail(`"${v ?? ''}" is invalid lladdr.`)
  return v.split(':').map((o) => o.padStart(2, '0')).join(':').toLowerCase()
}

interface LinkChanges {
  up?: boolean
  mtu?: number
  address?: string
  promisc?: boolean
  allmulti?: boolean
  txqlen?: number
}

/** parseAttrs reads `ATTR VALUE...` pairs (the shared tail of `link set` and `link add`). */
const parseAttrs = (args: string[], cmd: readonly string[], stopAt?: string): [LinkChanges, number] => {
  const c: LinkChanges = {}
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i] as string
    if (a === stopAt) break
    const v = args[i + 1]
    if (a === 'up' || a === 'down') c.up = a === 'up'
    else if (a === 'mtu') { c.mtu = parseUint('mtu', v); i++ }
    else if (a === 'address') { c.address = parseMac(v); i++ }
    else if (a === 'promisc') { c.promisc = parseOnOff('promisc', v); i++ }
    else if (a === 'allmulticast') { c.allmulti = parseOnOff('allmulticast', v); i++ }
    else if (a === 'txqueuelen' || a === 'txqlen') { c.txqlen = parseUint('txqueuelen', v); i++ }
    else return unsupported('ip', cmd)
  }
  return [c, i]
}

/** checkChanges: the kernel's refusals, before anything changes (a command is all or nothing here). */
const checkChanges = (l: FakeLink, c: LinkChanges): void => {
  if (c.mtu !== undefined) {
    if (c.mtu < l.minMtu) fail('Error: mtu less than device minimum.')
    if (l.maxMtu > 0 && c.mtu > l.maxMtu) fail('Error: mtu greater than device maximum.')
  }
  if (c.address !== undefined) {
    const first = parseInt(c.address.slice(0, 2), 16)
    if ((first & 1) === 1 || c.address === '00:00:00:00:00:00') fail('RTNETLINK answers: Cannot assign requested address')
  }
}

const applyChanges = (world: World, ns: string, l: FakeLink, c: LinkChanges): void => {
  if (c.address !== undefined) l.address = c.address
  if (c.mtu !== undefined) setMtu(need(world, ns), l, c.mtu)
  if (c.txqlen !== undefined) l.txqlen = c.txqlen
  if (c.promisc !== undefined) l.promisc = c.promisc
  if (c.allmulti !== undefined) l.allmulti = c.allmulti
  if (c.up !== undefined) setUp(world, ns, l, c.up)
}

const need = (world: World, ns: string): FakeNamespace => {
  const n = nsOf(world, ns)
  if (!n) throw new Error(`semantic fake: namespace ${JSON.stringify(ns)} vanished`)
  return n
}

/** nameArg: `dev X`, `name X` or a bare X at args[0]; returns the name and how many tokens it took. */
const nameArg = (args: readonly string[], keywords: string[]): [string | undefined, number] =>
  keywords.includes(args[0] ?? '') ? [args[1], 2] : [args[0], 1]

const linkSet = (world: World, ns: string, args: string[], cmd: readonly string[]): void => {
  const [name, used] = nameArg(args, ['dev'])
  if (name === undefined) return unsupported('ip', cmd)
  const [changes] = parseAttrs(args.slice(used), cmd)
  const l = findLink(need(world, ns), name) ?? noDevice(name)
  checkChanges(l, changes)
  applyChanges(world, ns, l, changes)
}

/** namespaceByName: `netns NAME` names /run/netns/NAME (or /var/run/netns/NAME). */
const namespaceByName = (world: World, name: string): string => {
  const key = [...world.namespaces.keys()].find((k) => k === name || k.endsWith(`/netns/${name}`))
  return key ?? fail(`Invalid netns value "${name}"`)
}

const linkAdd = (world: World, ns: string, args: string[], cmd: readonly string[]): void => {
  const [name, used] = nameArg(args, ['name', 'dev'])
  if (name === undefined) return unsupported('ip', cmd)
  if (!IFNAME.test(name)) fail(`Error: argument "${name}" is wrong: "name" not a valid ifname`)
  const rest = args.slice(used)
  const [changes, at] = parseAttrs(rest, cmd, 'type')
  const kind = rest[at + 1]
  const tail = rest.slice(at + 2)
  const n = need(world, ns)
  const spec = { name, ...(changes.mtu !== undefined ? { mtu: changes.mtu } : {}), ...(changes.address ? { address: changes.address } : {}), ...(changes.txqlen !== undefined ? { txqlen: changes.txqlen } : {}) }
  if (kind === 'ifb' || kind === 'bridge') {
    if (tail.length > 0) return unsupported('ip', cmd)
    if (findLink(n, name)) fail('RTNETLINK answers: File exists')
    const l = createLink(world, ns, { ...spec, kind })
    if (changes.up) setUp(world, ns, l, true)
    return
  }
  if (kind !== 'veth') return unsupported('ip', cmd)
  let peer: string | undefined
  let peerNs = ns
  if (tail[0] === 'peer') {
    const [p, pUsed] = nameArg(tail.slice(1), ['name'])
    peer = p
    const more = tail.slice(1 + pUsed)
    if (more[0] === 'netns' && more[1] !== undefined) peerNs = namespaceByName(world, more[1])
    else if (more.length > 0) return unsupported('ip', cmd)
  } else if (tail.length > 0) return unsupported('ip', cmd)
  if (peer === undefined) return unsupported('ip', cmd) // the kernel would pick vethN; plugins always name it
  if (!IFNAME.test(peer)) fail(`Error: argument "${peer}" is wrong: "name" not a valid ifname`)
  if (findLink(n, name) || findLink(need(world, peerNs), peer) || (peerNs === ns && peer === name)) fail('RTNETLINK answers: File exists')
  createVethPair(world, { ns, ...spec }, { ns: peerNs, name: peer })
}

const linkDel = (world: World, ns: string, args: string[], cmd: readonly string[]): void => {
  const [name, used] = nameArg(args, ['dev'])
  if (name === undefined || (args.length > used && !(args[used] === 'type' && args.length === used + 2))) return unsupported('ip', cmd)
  const l = findLink(need(world, ns), name) ?? noDevice(name)
  deleteLink(world, ns, l)
}

/** ipRun applies one `ip ARGS` command in namespace ns, or throws what ip would print. */
export const ipRun = (world: World, ns: string, args: readonly string[]): void => {
  const [obj, verb, ...rest] = args
  if (obj !== 'link') return unsupported('ip', args)
  if (verb === 'set') return linkSet(world, ns, rest, args)
  if (verb === 'add') return linkAdd(world, ns, rest, args)
  if (verb === 'del' || verb === 'delete') return linkDel(world, ns, rest, args)
  return unsupported('ip', args)
}

// ---- reads ----------------------------------------------------------------------------------

const v4ToInt = (a: string): bigint => a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)
const v6ToInt = (a: string): bigint => {
  const [head = '', tail] = a.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n)
}

const contains = (prefix: string, addr: string): number | undefined => {
  const [net = '', lenText] = prefix.split('/')
  const fam = isIP(addr)
  if (fam === 0 || isIP(net) !== fam) return undefined
  const bits = fam === 4 ? 32 : 128
  const len = lenText === undefined ? bits : Number(lenText)
  const toInt = fam === 4 ? v4ToInt : v6ToInt
  const shift = BigInt(bits - len)
  return toInt(net) >> shift === toInt(addr) >> shift ? len : undefined
}

const routeGet = (n: FakeNamespace, addr: string | undefined, args: readonly string[]): unknown => {
  if (addr === undefined || isIP(addr) === 0) return unsupported('ip', args)
  let best: { len: number; dev: string; prefsrc?: string } | undefined
  for (const r of n.routes) {
    const len = contains(r.dst, addr)
    if (len !== undefined && (!best || len > best.len)) best = { len, dev: r.dev, ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}) }
  }
  if (!best) return fail('RTNETLINK answers: Network is unreachable')
  return [{ dst: addr, dev: best.dev, ...(best.prefsrc ? { prefsrc: best.prefsrc } : {}), flags: [], uid: 0, cache: [] }]
}

/** ipJson answers `ip -j ARGS` in namespace ns. */
export const ipJson = (world: World, ns: string, args: readonly string[]): unknown => {
  const details = args[0] === '-d' || args[0] === '-details'
  const [obj, verb, ...rest] = details ? args.slice(1) : args
  const n = need(world, ns)
  if (obj === 'route' && verb === 'get' && !details) return routeGet(n, rest[0], args)
  const render = obj === 'link' ? (l: FakeLink) => linkJson(world, ns, l, details) : obj === 'addr' && !details ? (l: FakeLink) => addrJson(world, ns, l) : undefined
  if (!render || (verb !== 'show' && verb !== 'list')) return unsupported('ip', args)
  if (rest.length === 0) return [...n.links].sort((a, b) => a.ifindex - b.ifindex).map(render)
  const [name, used] = nameArg(rest, ['dev'])
  if (name === undefined || rest.length !== used) return unsupported('ip', args)
  const l = findLink(n, name) ?? fail(`Device "${name}" does not exist.`)
  return [render(l)]
}
