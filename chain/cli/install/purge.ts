// `uninstall --purge`: the node-wide state cni-chain's plugins leave on purpose (portmap's
// `inet cni_portmap_*` tables, the firewall's table, the state dirs), removed only when no pod
// uses them: no cached attachment whose list runs one of our plugins, no per-pod state file.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises'
import { join, normalize } from 'node:path'
import { isObject } from '../../../src/cni/keys.js'
import { listCachedAttachments } from '../../../src/cni/cache.js'
import type { Host } from '../../../src/host/types.js'
import { del, tableObj, type NftFamily } from '../../../src/nft/build.js'
import { DEFAULT_DATA_DIR as BANDWIDTH_DATA_DIR } from '../../../meta-plugins/bandwidth/config.js'
import { DEFAULT_STATE_DIR as FIREWALL_STATE_DIR } from '../../../meta-plugins/firewall/config.js'
import { DEFAULT_STATE_DIR } from '../../../meta-plugins/portmap/config.js'
import { DEFAULT_DATA_DIR } from '../../../meta-plugins/tuning/config.js'
import { isOurType } from '../conflist/plugin-checks.js'

/** Tables our plugins create, node-wide: family and name prefix. */
export const PURGED_TABLES: readonly { family: NftFamily; prefix: string }[] = [
  { family: 'inet', prefix: 'cni_portmap_' },
  { family: 'inet', prefix: 'cni_firewall_' },
  { family: 'bridge', prefix: 'cni_firewall_' },
]

/**
 * A state dir and its layout: portmap and firewall keep `attachments/<chain>` per pod (portmap
 * also `localnet/`), tuning and bandwidth keep one `*.json` record per pod.
 */
export interface StateDir {
  type: 'portmap' | 'firewall' | 'tuning' | 'bandwidth'
  dir: string
}

const hasRecords = (s: StateDir): boolean => s.type === 'tuning' || s.type === 'bandwidth'

export const DEFAULT_STATE_DIRS: readonly StateDir[] = [
  { type: 'portmap', dir: DEFAULT_STATE_DIR },
  { type: 'firewall', dir: FIREWALL_STATE_DIR },
  { type: 'tuning', dir: DEFAULT_DATA_DIR },
  { type: 'bandwidth', dir: BANDWIDTH_DATA_DIR },
]

/** stateDirsOf collects the state dirs the plugin configs name (stateDir, dataDir), plus defaults. */
export const stateDirsOf = (plugins: unknown[]): StateDir[] => {
  const out = [...DEFAULT_STATE_DIRS]
  const visit = (p: unknown): void => {
    if (!isObject(p)) return
    if ((p.type === 'portmap' || p.type === 'firewall') && typeof p.stateDir === 'string') out.push({ type: p.type, dir: p.stateDir })
    if ((p.type === 'tuning' || p.type === 'bandwidth') && typeof p.dataDir === 'string') out.push({ type: p.type, dir: p.dataDir })
    if (p.type === 'chain' && Array.isArray(p.plugins)) p.plugins.forEach(visit)
  }
  plugins.forEach(visit)
  const seen = new Set<string>()
  return out.filter((s) => {
    const key = `${s.type}:${normalize(s.dir)}`
    return seen.has(key) ? false : (seen.add(key), true)
  })
}

/** typesIn lists the plugin types of a cached list (chain sub-plugins too). */
const typesIn = (config: Buffer): string[] | undefined => {
  let raw: unknown
  try {
    raw = JSON.parse(config.toString('utf8'))
  } catch {
    return undefined
  }
  if (!isObject(raw)) return undefined
  const plugins = Array.isArray(raw.plugins) ? raw.plugins : [raw]
  const out: string[] = []
  const visit = (p: unknown): void => {
    if (!isObject(p) || typeof p.type !== 'string') return
    out.push(p.type)
    if (Array.isArray(p.plugins)) p.plugins.forEach(visit)
  }
  plugins.forEach(visit)
  return out
}

// a dir we may delete in: absolute, no "..", at least two levels deep (never /, /run, /var)
const deletable = (dir: string): boolean => dir.startsWith('/') && !dir.split('/').includes('..') && normalize(dir).split('/').filter(Boolean).length >= 2

const entries = async (dir: string): Promise<string[]> => readdir(dir).catch(() => [])

/** podStateIn names per-pod state still in a state dir (a pod attached), or undefined. */
const podStateIn = async (s: StateDir): Promise<string | undefined> => {
  if (!hasRecords(s)) {
    const live = await entries(join(s.dir, 'attachments'))
    return live.length > 0 ? `${join(s.dir, 'attachments')} has ${live.length} attachment(s)` : undefined
  }
  const records = (await entries(s.dir)).filter((f) => f.endsWith('.json'))
  return records.length > 0 ? `${s.dir} has ${records.length} ${s.type} record(s)` : undefined
}

export interface PurgeOptions {
  cacheDir: string
  stateDirs: StateDir[]
  log: (line: string) => void
}

/** purgeNodeState removes the tables and state dirs when no pod uses them; returns whether it did. */
export const purgeNodeState = async (host: Host, o: PurgeOptions): Promise<boolean> => {
  const users = (await listCachedAttachments(host.files, o.cacheDir)).filter((e) => (typesIn(e.config) ?? ['?']).some((t) => t === '?' || isOurType(t)))
  if (users.length > 0) {
    const first = users[0]!
    o.log(`not purging: ${users.length} cached attachment(s) in ${o.cacheDir} still run cni-chain plugins (e.g. ${first.networkName}/${first.containerId}/${first.ifName}); remove those pods first`)
    return false
  }
  for (const s of o.stateDirs) {
    const live = await podStateIn(s)
    if (live) {
      o.log(`not purging: ${live}`)
      return false
    }
  }
  const tables = ((await host.nft.list(['tables'])) ?? [])
    .map((obj) => obj.table as { family?: string; name?: string } | undefined)
    .filter((t): t is { family: NftFamily; name: string } => !!t && PURGED_TABLES.some((p) => p.family === t.family && typeof t.name === 'string' && t.name.startsWith(p.prefix)))
  if (tables.length > 0) {
    await host.nft.apply(tables.map((t) => del(tableObj({ family: t.family, table: t.name }))))
    o.log(`deleted nft table(s) ${tables.map((t) => `${t.family} ${t.name}`).join(', ')}`)
  }
  for (const s of o.stateDirs) {
    if (!deletable(s.dir)) {
      o.log(`left ${s.dir}: not a directory cni-chain deletes in`)
      continue
    }
    const st = await lstat(s.dir).catch(() => undefined)
    if (!st) continue
    if (!st.isDirectory()) {
      o.log(`left ${s.dir}: not a directory`)
      continue
    }
    if (!hasRecords(s)) {
      await rm(join(s.dir, 'attachments'), { recursive: true, force: true })
      await rm(join(s.dir, 'localnet'), { recursive: true, force: true })
    }
    try {
      await rmdir(s.dir)
      o.log(`removed ${s.dir}`)
    } catch {
      o.log(`left ${s.dir}: it holds files cni-chain did not write`)
    }
  }
  return true
}
