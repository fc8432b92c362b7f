// Everything a plugin may change, read from namespaces and directories, for "exactly as before"
// checks (fuzz, soak, crash, gc): the nft ruleset (iptables-nft rules included), links and their
// settings, addresses, routes, qdiscs and tc filters, every net.* sysctl, and the files (with
// contents) under the given directories. diffState names each difference.
// Left out, as they change by themselves: nft handles and counters, link stats/carrier/operstate,
// conntrack counters, and the sysctls listed in VOLATILE.
import { readFile, readdir, lstat, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { run, runOk } from './proc.js'
import type { Netns } from './types.js'

/** One namespace's picture; every field is a sorted list of lines, so diffs are line sets. */
export interface NsState {
  ruleset: string[]
  links: string[]
  addrs: string[]
  routes: string[]
  tc: string[]
  sysctls: string[]
}

export interface HostState {
  ns: Record<string, NsState>
  /** `dir/relative/path` → content (symlinks as `-> target`, directories as `<dir>`) */
  files: Record<string, string>
}

const VOLATILE = [/^net\.netfilter\.nf_conntrack_count\b/, /^net\.ipv6\.conf\.[^.]+\.stable_secret\b/, /^net\.ipv4\.route\.gc_/]

const jsonOf = (text: string): any => (text.trim() === '' ? [] : JSON.parse(text))

/** The nft ruleset as one line per object, without handles and counters, set elements sorted. */
export const rulesetLines = async (ns: Netns): Promise<string[]> => {
  const objs = (jsonOf((await runOk(ns, 'nft', ['-j', 'list', 'ruleset'])).stdout) as { nftables?: object[] }).nftables ?? []
  const strip = (v: unknown, key = ''): unknown => {
    if (Array.isArray(v)) {
      const items = v.map((x) => strip(x))
      return key === 'elem' ? items.map((x) => JSON.stringify(x)).sort().map((x) => JSON.parse(x)) : items
    }
    if (v === null || typeof v !== 'object') return v
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, k === 'counter' ? {} : strip(x, k)]))
  }
  return objs.filter((o) => !('metainfo' in o)).map((o) => JSON.stringify(strip(o)))
}

/** Link attributes a plugin may set (mtu, mac, txqlen, promisc, allmulti, master, kind, flags). */
const linkLines = (links: any[]): string[] =>
  links.map((l) => JSON.stringify({
    name: l.ifname, kind: l.linkinfo?.info_kind ?? '', mtu: l.mtu, mac: l.address, txqlen: l.txqlen,
    promiscuity: l.promiscuity, allmulti: l.allmulti, master: l.master ?? '',
    flags: ((l.flags ?? []) as string[]).filter((f) => f !== 'LOWER_UP' && f !== 'NO-CARRIER' && f !== 'M-DOWN').sort(),
  })).sort()

/** qdiscs, and the filters of every device with a clsact or ingress qdisc (others have none to list) */
const tcLines = async (ns: Netns): Promise<string[]> => {
  const out: string[] = []
  const qdiscs = jsonOf((await runOk(ns, 'tc', ['-j', 'qdisc', 'show'])).stdout) as any[]
  for (const q of qdiscs) out.push(`qdisc ${JSON.stringify(q)}`)
  const devs = [...new Set(qdiscs.filter((q) => q.kind === 'clsact' || q.kind === 'ingress').map((q) => String(q.dev)))]
  for (const dev of devs) {
    for (const dir of ['ingress', 'egress']) {
      const r = await run(ns, 'tc', ['-j', 'filter', 'show', 'dev', dev, dir])
      if (r.exitCode !== 0) continue
      for (const f of jsonOf(r.stdout) as any[]) out.push(`filter ${dev} ${dir} ${JSON.stringify(f)}`)
    }
  }
  return out.sort()
}

/** nsState reads one namespace. */
export const nsState = async (ns: Netns): Promise<NsState> => {
  const links = jsonOf((await runOk(ns, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as any[]
  const addr = jsonOf((await runOk(ns, 'ip', ['-j', 'addr', 'show'])).stdout) as any[]
  const addrs = addr.flatMap((l) => (l.addr_info ?? []).map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen}`)).sort()
  const routes: string[] = []
  for (const family of ['-4', '-6']) {
    const rs = jsonOf((await runOk(ns, 'ip', ['-j', family, 'route', 'show', 'table', 'all'])).stdout) as any[]
    routes.push(...rs.map((r) => `${r.table ?? 'main'} ${r.type ?? ''} ${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''}`.replace(/\s+/g, ' ').trim()))
  }
  const sysctl = await run(ns, 'sysctl', ['-a', '-r', '^net\\.'])
  const sysctls = sysctl.stdout.split('\n').filter((l) => l !== '' && !VOLATILE.some((re) => re.test(l))).sort()
  return {
    ruleset: await rulesetLines(ns),
    links: linkLines(links),
    addrs,
    routes: routes.sort(),
    tc: await tcLines(ns),
    sysctls,
  }
}

/** filesUnder lists every entry under dir (absent dir: nothing), keyed by its full path. */
export const filesUnder = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {}
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 8) return
    const names = await readdir(d).catch(() => [] as string[])
    for (const name of names.sort()) {
      const p = join(d, name)
      const st = await lstat(p).catch(() => undefined)
      if (!st) continue
      if (st.isSymbolicLink()) out[p] = `-> ${await readlink(p)}`
      else if (st.isDirectory()) {
        out[p] = '<dir>'
        await walk(p, depth + 1)
      } else out[p] = await readFile(p, 'utf8').catch((e) => `<unreadable ${(e as Error).message}>`)
    }
  }
  await walk(dir, 0)
  return out
}

/** hostState reads the given namespaces and directories. */
export const hostState = async (namespaces: Netns[], dirs: string[]): Promise<HostState> => {
  const ns: Record<string, NsState> = {}
  const states = await Promise.all(namespaces.map((n) => nsState(n)))
  namespaces.forEach((n, i) => void (ns[n.name] = states[i] as NsState))
  const files: Record<string, string> = {}
  for (const d of dirs) Object.assign(files, await filesUnder(d))
  return { ns, files }
}

const lineDiff = (where: string, before: string[], after: string[]): string[] => {
  const b = new Set(before)
  const a = new Set(after)
  return [
    ...before.filter((l) => !a.has(l)).map((l) => `${where}: - ${l.length > 400 ? `${l.slice(0, 400)}...` : l}`),
    ...after.filter((l) => !b.has(l)).map((l) => `${where}: + ${l.length > 400 ? `${l.slice(0, 400)}...` : l}`),
  ]
}

/** diffState lists what differs ([] = the same), `- ` lines were there before, `+ ` lines are new. */
export const diffState = (before: HostState, after: HostState): string[] => {
  const out: string[] = []
  for (const name of new Set([...Object.keys(before.ns), ...Object.keys(after.ns)])) {
    const b = before.ns[name]
    const a = after.ns[name]
    if (!b || !a) {
      out.push(`${name}: namespace ${b ? 'gone' : 'new'}`)
      continue
    }
    for (const key of Object.keys(b) as (keyof NsState)[]) out.push(...lineDiff(`${name} ${key}`, b[key], a[key]))
  }
  const fileLine = (files: Record<string, string>) => Object.entries(files).map(([p, c]) => `${p} ${JSON.stringify(c)}`)
  out.push(...lineDiff('files', fileLine(before.files), fileLine(after.files)))
  return out
}

/**
 * settle waits (bounded: 30 polls, ~6 s) until the kernel has finished with new links in every
 * namespace: no tentative IPv6 address, and addresses and routes unchanged over one poll (a new
 * veth gets its link-local address and routes a moment after it comes up).
 */
export const settle = async (namespaces: Netns[]): Promise<void> => {
  const view = async (): Promise<string> => {
    const parts: string[] = []
    for (const ns of namespaces) {
      parts.push((await runOk(ns, 'ip', ['-6', 'addr', 'show'])).stdout, (await runOk(ns, 'ip', ['-6', 'route', 'show', 'table', 'all'])).stdout)
    }
    return parts.join('\n')
  }
  let last = await view()
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 200))
    const now = await view()
    if (now === last && !/tentative/.test(now)) return
    last = now
  }
}
