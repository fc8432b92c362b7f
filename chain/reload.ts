// Reload: re-create what cni-chain's meta plugins made for every cached attachment, after
// something wiped it (`flush ruleset`, which `systemctl restart nftables` runs on Debian; an ifb or
// qdisc deleted by hand). The libcni cache (src/cni/cache.ts) holds, per attachment, the list as
// it was added, the netns, CNI_ARGS, capability args and the final result: enough to run each meta
// plugin again, as the runtime ran it, with the cached result as prevResult (as libcni's CHECK and
// DEL do).
//
// Only the built-in meta plugins run (in process, through the runner), also inside a `chain`
// entry; never the interface plugin (a second bridge ADD would redo IPAM) nor any other binary.
// Per plugin: CHECK first (lists ≥ 0.4.0, unless `force`); when it passes nothing is written, so a
// second reload changes nothing. When it fails, ADD with the cached prevResult (every meta plugin's
// ADD is repeatable: it re-creates its objects, reuses its records and keeps the originals).
// The netns is the cached one, else the `sandbox` of the attachment's interface in the cached
// result (libcni before 1.2 caches no netns). An attachment whose netns is gone, or that has none
// or no cached result, is skipped and reported. If the runtime DELs an attachment while reload
// re-creates it (its cache file gone afterwards), reload DELs what it re-created, so nothing is
// left behind.
import { CniError, ErrorCode, asCniError } from '../src/cni/errors.js'
import { isObject } from '../src/cni/keys.js'
import { convertResult, toCurrentResult } from '../src/cni/result-convert.js'
import type { JsonObject, Result } from '../src/cni/types.js'
import { versionAtLeast } from '../src/cni/versions.js'
import type { FileHost } from '../src/host/types.js'
import { type CacheEntry, checkCacheDir, listCachedAttachments, readCache } from '../src/cni/cache.js'
import { checkNetworkName } from '../src/cni/validate.js'
import { byKey } from '../src/util/compare.js'
import { buildPluginConf } from './build-conf.js'
import { parseConfList, type LoadedList } from './conf-load.js'
import type { CallEnv, PluginRunner } from './runner.js'

/** What reload needs from the outside world. */
export interface ReloadDeps {
  /** runs the built-in plugins (the CLI's refuses every other type) */
  runner: PluginRunner
  /** whether `type` is a built-in meta plugin (the only types reload runs) */
  isBuiltin: (type: string) => boolean
  /** file seam for the cache */
  files: FileHost
  /** why a netns path is not a namespace (undefined: it is one) */
  inspectNetns: (path: string) => Promise<string | undefined>
}

export interface ReloadArgs {
  cacheDir: string
  /** only these networks (all when undefined or empty) */
  networks?: string[]
  /** ADD without CHECK first */
  force?: boolean
  /** CNI_PATH of the calls (the dispatcher requires one; built-ins never search it) */
  pluginDirs: string[]
}

/** What happened to one plugin of one attachment. */
export interface PluginOutcome {
  type: string
  /** intact: CHECK passed, nothing written; restored: ADD ran; failed: ADD failed; removed: DEL after a concurrent DEL */
  outcome: 'intact' | 'restored' | 'failed' | 'removed'
  /** why CHECK failed (restored, failed) */
  check?: string
  /** the ADD (or clean-up DEL) error (failed) */
  error?: string
}

/** What happened to one cached attachment. */
export interface AttachmentOutcome {
  network: string
  containerId: string
  ifname: string
  netns?: string
  /**
   * intact: every meta plugin's CHECK passed; restored: at least one ADD ran and none failed;
   * failed: an ADD failed; skipped: not run (reason); none: the list has no meta plugin;
   * deleted: the runtime deleted the attachment meanwhile and what reload re-created was removed
   */
  outcome: 'intact' | 'restored' | 'failed' | 'skipped' | 'none' | 'deleted'
  reason?: string
  plugins: PluginOutcome[]
}

export interface ReloadReport {
  attachments: AttachmentOutcome[]
}

/** One meta plugin call to make: its type and stdin without prevResult. */
interface MetaCall {
  type: string
  conf: JsonObject
}

// a chain inside a chain inside a chain... is legal but absurd; stop somewhere
const MAX_CHAIN_DEPTH = 4

/**
 * metaCalls lists the built-in plugins of the list in ADD order, each with the stdin the runtime
 * (or the chain plugin, for its sub-plugins) built for it: name, cniVersion, runtimeConfig from the
 * cached capability args. Entries of other types are left out.
 */
export const metaCalls = (list: Pick<LoadedList, 'name' | 'cniVersion' | 'plugins'>, capabilityArgs: JsonObject, isBuiltin: (type: string) => boolean): MetaCall[] => {
  const walk = (plugins: unknown[], caps: JsonObject | undefined, args: unknown, depth: number): MetaCall[] =>
    plugins.flatMap((p): MetaCall[] => {
      if (!isObject(p) || typeof p.type !== 'string') return []
      const conf = buildPluginConf(p, { name: list.name, cniVersion: list.cniVersion, ...(caps ? { capabilityArgs: caps } : {}) })
      // the chain plugin passes its runtime-provided args to sub-plugins that have none
      if (args !== undefined && conf.args === undefined) conf.args = args
      if (p.type === 'chain' && Array.isArray(p.plugins) && depth < MAX_CHAIN_DEPTH) {
        return walk(p.plugins, isObject(conf.runtimeConfig) ? conf.runtimeConfig : undefined, conf.args, depth + 1)
      }
      return isBuiltin(p.type) ? [{ type: p.type, conf }] : []
    })
  return walk(list.plugins, capabilityArgs, undefined, 0)
}

const message = (err: unknown): string => asCniError(err).message

/** cachedPrevResult: the cached result in the list's version (as the executor's DEL and CHECK read it). */
const cachedPrevResult = (result: JsonObject, cniVersion: string): Result =>
  toCurrentResult(convertResult(toCurrentResult(result), cniVersion))

/**
 * sandboxOf: the netns of the attachment's interface in the cached result. libcni before 1.2 (Debian
 * 12's, podman 4's) caches no netns; the interface plugin's result names it as the `sandbox`.
 */
export const sandboxOf = (result: JsonObject, ifname: string): string | undefined => {
  const ifaces = (Array.isArray(result.interfaces) ? result.interfaces : []).filter(isObject)
  const sandboxed = ifaces.filter((i) => typeof i.sandbox === 'string' && i.sandbox !== '')
  const own = sandboxed.find((i) => i.name === ifname) ?? sandboxed[0]
  return own ? String(own.sandbox) : undefined
}

const callEnvOf = (e: CacheEntry & { netns: string }, pluginDirs: string[]): CallEnv => ({
  containerId: e.containerId,
  netns: e.netns,
  ifname: e.ifName,
  args: (e.cniArgs ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
  pluginDirs,
})

/** reloadAttachment re-creates one attachment's meta plugin objects; never throws. */
const reloadAttachment = async (entry: CacheEntry, args: ReloadArgs, deps: ReloadDeps): Promise<AttachmentOutcome> => {
  const out: AttachmentOutcome = { network: entry.networkName, containerId: entry.containerId, ifname: entry.ifName, ...(entry.netns ? { netns: entry.netns } : {}), outcome: 'skipped', plugins: [] }
  let list: LoadedList
  try {
    list = parseConfList(entry.config, `cached configuration of ${entry.networkName}`)
  } catch (err) {
    return { ...out, outcome: 'failed', reason: message(err) }
  }
  const calls = metaCalls(list, entry.capabilityArgs ?? {}, deps.isBuiltin)
  if (calls.length === 0) return { ...out, outcome: 'none', reason: 'no cni-chain meta plugin in the list' }
  if (!entry.result) return { ...out, reason: 'no cached result (nothing to pass as prevResult)' }
  const netns = entry.netns ?? sandboxOf(entry.result, entry.ifName)
  if (!netns) return { ...out, reason: 'no netns in the cache entry nor a sandbox in its result' }
  out.netns = netns
  const problem = await deps.inspectNetns(netns)
  if (problem) return { ...out, reason: `netns gone: ${problem}` }
  let prev: Result
  try {
    prev = cachedPrevResult(entry.result, list.cniVersion)
  } catch (err) {
    return { ...out, outcome: 'failed', reason: `cached result: ${message(err)}` }
  }
  const env = callEnvOf({ ...entry, netns }, args.pluginDirs)
  const canCheck = !args.force && versionAtLeast(list.cniVersion, '0.4.0')
  const restored: MetaCall[] = []
  for (const call of calls) {
    const conf: JsonObject = { ...call.conf, prevResult: convertResult(prev, list.cniVersion) }
    let check: string | undefined
    if (canCheck) {
      try {
        await deps.runner.run('CHECK', call.type, conf, env)
        out.plugins.push({ type: call.type, outcome: 'intact' })
        continue
      } catch (err) {
        check = message(err)
      }
    }
    try {
      await deps.runner.run('ADD', call.type, conf, env)
      out.plugins.push({ type: call.type, outcome: 'restored', ...(check ? { check } : {}) })
      restored.push({ type: call.type, conf })
    } catch (err) {
      out.plugins.push({ type: call.type, outcome: 'failed', ...(check ? { check } : {}), error: message(err) })
    }
  }
  const failed = out.plugins.some((p) => p.outcome === 'failed')
  out.outcome = failed ? 'failed' : restored.length > 0 ? 'restored' : 'intact'
  if (restored.length > 0) await undoIfDeleted(entry, args.cacheDir, restored, env, out, deps)
  return out
}

/**
 * undoIfDeleted: a runtime DEL that ran while reload re-created the attachment removed its cache
 * file; what reload re-created would then be left behind, so it is deleted again (reverse order).
 */
const undoIfDeleted = async (entry: CacheEntry, cacheDir: string, restored: MetaCall[], env: CallEnv, out: AttachmentOutcome, deps: ReloadDeps): Promise<void> => {
  const now = await readCache(deps.files, cacheDir, entry.networkName, entry.containerId, entry.ifName).catch(() => undefined)
  if (now?.kind !== 'missing') return
  out.outcome = 'deleted'
  out.reason = 'the attachment was deleted while reload ran; what reload re-created was removed'
  for (const call of [...restored].reverse()) {
    const p = out.plugins.find((x) => x.type === call.type && x.outcome === 'restored')
    try {
      await deps.runner.run('DEL', call.type, call.conf, env)
      if (p) p.outcome = 'removed'
    } catch (err) {
      out.outcome = 'failed'
      if (p) Object.assign(p, { outcome: 'failed', error: `DEL after the runtime's DEL: ${message(err)}` })
    }
  }
}

/**
 * reloadAll re-creates the meta plugin objects of every cached attachment (of `args.networks`,
 * when given), one attachment after the other, and reports each. It throws only for bad
 * arguments; failures of single attachments are in the report.
 */
export const reloadAll = async (args: ReloadArgs, deps: ReloadDeps): Promise<ReloadReport> => {
  checkCacheDir(args.cacheDir)
  for (const n of args.networks ?? []) checkNetworkName(n)
  const only = new Set(args.networks ?? [])
  const entries = (await listCachedAttachments(deps.files, args.cacheDir))
    .filter((e) => only.size === 0 || only.has(e.networkName))
    .sort(byKey(key))
  const attachments: AttachmentOutcome[] = []
  for (const e of entries) {
    try {
      attachments.push(await reloadAttachment(e, args, deps))
    } catch (err) {
      // reloadAttachment catches per plugin; this is a bug's last line, not a path
      attachments.push({ network: e.networkName, containerId: e.containerId, ifname: e.ifName, outcome: 'failed', reason: message(err), plugins: [] })
    }
  }
  return { attachments }
}

const key = (e: CacheEntry): string => `${e.networkName}\0${e.containerId}\0${e.ifName}`

/** reloadFailure: the error a report with failed attachments ends in (code 11: retry later), or undefined. */
export const reloadFailure = (report: ReloadReport): CniError | undefined => {
  const failed = report.attachments.filter((a) => a.outcome === 'failed')
  if (failed.length === 0) return undefined
  return new CniError(ErrorCode.TryAgainLater, `reload failed for ${failed.length} of ${report.attachments.length} cached attachment(s)`,
    failed.map((a) => `${a.network}/${a.containerId}/${a.ifname}`).join(', '))
}
