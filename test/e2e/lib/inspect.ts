// Read-only views of a namespace for assertions.
import { run, runOk } from './proc.js'
import type { Netns } from './types.js'

/** nftRuleset returns `nft list ruleset` (text) inside ns. */
export const nftRuleset = async (ns: Netns): Promise<string> => (await runOk(ns, 'nft', ['list', 'ruleset'])).stdout

/** nftJsonStable: `nft -j list ruleset` without what changes by itself (metainfo, handles, counters). */
export const nftJsonStable = async (ns: Netns): Promise<string> => {
  const objs = (JSON.parse((await runOk(ns, 'nft', ['-j', 'list', 'ruleset'])).stdout) as { nftables: object[] }).nftables
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip)
    if (v === null || typeof v !== 'object') return v
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, k === 'counter' ? {} : strip(x)]))
  }
  return JSON.stringify(objs.filter((o) => !('metainfo' in o)).map(strip), null, 1)
}

/**
 * nftElementsBesideStamps: the set and map elements in ns, except those of skeleton stamps
 * (`stamp-…` sets, src/nft/stamp.ts: they stay with their table, like its chains), as JSON lines.
 */
export const nftElementsBesideStamps = async (ns: Netns): Promise<string[]> => {
  const objs = (JSON.parse((await runOk(ns, 'nft', ['-j', 'list', 'ruleset'])).stdout) as { nftables: Record<string, any>[] }).nftables
  return objs.flatMap((o) => {
    const s = o.set ?? o.map
    if (!s || !Array.isArray(s.elem) || /^stamp-[0-9a-f]{16}$/.test(String(s.name))) return []
    return [`${s.family} ${s.table} ${s.name}: ${JSON.stringify(s.elem)}`]
  })
}

/** linkJson returns `ip -j -d link show dev IFNAME` in ns (the one object), or undefined when absent. */
export const linkJson = async (ns: Netns, ifname: string): Promise<any | undefined> => {
  const r = await run(ns, 'ip', ['-j', '-d', 'link', 'show', 'dev', ifname])
  if (r.exitCode !== 0) return undefined
  const links = JSON.parse(r.stdout) as unknown[]
  return links[0]
}

/**
 * readSysctl reads a sysctl in ns, e.g. 'net/ipv4/ip_forward' or 'net.ipv4.ip_forward'
 * (use the slash form when an interface name contains a dot). undefined when it does not exist.
 */
export const readSysctl = async (ns: Netns, key: string): Promise<string | undefined> => {
  const path = key.includes('/') ? key : key.replaceAll('.', '/')
  if (path.split('/').includes('..') || path.startsWith('/')) throw new Error(`bad sysctl key ${key}`)
  const r = await run(ns, 'cat', [`/proc/sys/${path}`])
  return r.exitCode === 0 ? r.stdout.trim() : undefined
}

/** A compact picture of a namespace's links and addresses, for before/after comparisons. */
export interface NetSnapshot {
  links: string[]
  addrs: string[]
  routes: string[]
}

/** snapshot lists link names, `ifname addr/len` pairs and routes in ns (sorted). */
export const snapshot = async (ns: Netns): Promise<NetSnapshot> => {
  const addr = JSON.parse((await runOk(ns, 'ip', ['-j', 'addr', 'show'])).stdout) as any[]
  const links = addr.map((l) => String(l.ifname)).sort()
  const addrs = addr
    .flatMap((l) => (l.addr_info ?? []).map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen}`))
    .sort()
  const routes: string[] = []
  for (const family of ['-4', '-6']) {
    const rs = JSON.parse((await runOk(ns, 'ip', ['-j', family, 'route', 'show', 'table', 'all'])).stdout) as any[]
    routes.push(...rs.map((r) => `${r.table ?? 'main'} ${r.type ?? ''} ${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''}`.replace(/\s+/g, ' ').trim()))
  }
  return { links, addrs, routes: routes.sort() }
}
