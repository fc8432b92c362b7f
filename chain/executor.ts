// The chain executor: the runtime side of CNI over a loaded list (libcni's *NetworkList).
// ADD runs the plugins in order, threading each result (converted to the list's version) into the
// next, stops at the first error and caches the final result. DEL runs in reverse with the cached
// result as everyone's prevResult and stops at the first error, keeping the cache for the retry
// (spec "Deleting an attachment", libcni). CHECK replays the cache in order; GC DELs stale cached
// attachments then GCs every plugin; STATUS asks every plugin. Every verb validates the network
// name, container id, interface name and cache dir before it runs or touches anything.
// The CLI and tests call these; nothing here parses arguments.
import { CniError, ErrorCode, asCniError } from '../src/cni/errors.js'
import { convertResult, toCurrentResult } from '../src/cni/result-convert.js'
import type { Attachment, JsonObject, Result } from '../src/cni/types.js'
import { checkAttachment, checkContainerId, checkInterfaceName, checkNetworkName } from '../src/cni/validate.js'
import { versionAtLeast } from '../src/cni/versions.js'
import type { FileHost } from '../src/host/types.js'
import { buildPluginConf } from './build-conf.js'
import { checkCacheDir, checkCacheWritable, listCachedAttachments, readCache, removeCache, writeCache } from '../src/cni/cache.js'
import type { LoadedList } from './conf-load.js'
import { joinErrors, wrapPluginError } from './errors.js'
import type { CallEnv, PluginRunner } from './runner.js'

/** The runtime's side of one attachment (libcni RuntimeConf plus where things live). */
export interface RuntimeArgs {
  containerId: string
  netns: string
  ifname: string
  /** CNI_ARGS pairs, in order */
  args: [string, string][]
  /** capability args offered to plugins that declare them (CAP_ARGS) */
  capabilityArgs: JsonObject
  cacheDir: string
  pluginDirs: string[]
}

/** What the verbs need from the outside world. */
export interface ExecutorDeps {
  runner: PluginRunner
  /** file seam for the result cache */
  files: FileHost
  /** where non-fatal notes go (corrupt cache removed...) */
  warn?: (text: string) => void
  /**
   * why a netns path is not a network namespace (undefined: it is one); asked before ADD and
   * CHECK. The CLI passes the real check (src/host/netns.ts); tests on fake paths omit it.
   */
  inspectNetns?: (path: string) => Promise<string | undefined>
}

const callEnv = (rt: RuntimeArgs): CallEnv => ({
  containerId: rt.containerId,
  netns: rt.netns,
  ifname: rt.ifname,
  args: rt.args.map(([k, v]) => `${k}=${v}`).join(';'),
  pluginDirs: rt.pluginDirs,
})

const typeOf = (plugin: JsonObject): string => String(plugin.type)

/**
 * validateAttachment runs before any plugin and any cache access: libcni checks these names
 * before ADD (api.go addNetwork); here DEL and CHECK too, because the names build the cache
 * file's path. `needsNetns` (ADD, CHECK) also asks whether the netns is a namespace.
 */
const validateAttachment = async (list: LoadedList, rt: RuntimeArgs, deps: ExecutorDeps, needsNetns: boolean): Promise<void> => {
  checkAttachment({ network: list.name, containerId: rt.containerId, ifname: rt.ifname })
  checkCacheDir(rt.cacheDir)
  if (!needsNetns || !deps.inspectNetns) return
  const problem = await deps.inspectNetns(rt.netns)
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_NETNS', problem)
}

/** addList runs ADD over the list and returns the final result as list-version JSON. */
export const addList = async (list: LoadedList, rt: RuntimeArgs, deps: ExecutorDeps): Promise<JsonObject> => {
  await validateAttachment(list, rt, deps, true)
  // the result must be cacheable, or a DEL could never find it: refused before any plugin runs
  checkCacheWritable(rt.cacheDir, list.name, rt.containerId, rt.ifname)
  let prev: Result | undefined
  for (const plugin of list.plugins) {
    const conf = buildPluginConf(plugin, { name: list.name, cniVersion: list.cniVersion, capabilityArgs: rt.capabilityArgs, ...(prev ? { prevResult: prev } : {}) })
    try {
      const out = await deps.runner.run('ADD', typeOf(plugin), conf, callEnv(rt))
      if (!out) throw new CniError(ErrorCode.DecodingFailure, 'plugin printed no result')
      // results without cniVersion are taken as the list's version (libcni, issue #895)
      prev = toCurrentResult(out.cniVersion ? out : { ...out, cniVersion: list.cniVersion })
    } catch (err) {
      throw wrapPluginError(err, 'ADD', typeOf(plugin), list.name)
    }
  }
  const result = convertResult(prev as Result, list.cniVersion)
  await writeCache(deps.files, rt.cacheDir, {
    networkName: list.name,
    containerId: rt.containerId,
    ifName: rt.ifname,
    config: list.bytes,
    netns: rt.netns,
    cniArgs: rt.args,
    capabilityArgs: rt.capabilityArgs,
    result,
  })
  return result
}

/**
 * cachedResult reads the attachment's cached result, converted to the list version. A corrupt
 * file is removed when `removeCorrupt` (DEL) and yields undefined; otherwise it is an error.
 */
const cachedResult = async (list: LoadedList, rt: RuntimeArgs, deps: ExecutorDeps, removeCorrupt: boolean): Promise<Result | undefined> => {
  const read = await readCache(deps.files, rt.cacheDir, list.name, rt.containerId, rt.ifname)
  if (read.kind === 'missing') return undefined
  if (read.kind === 'corrupt') {
    if (!removeCorrupt) throw new CniError(ErrorCode.DecodingFailure, `failed to get network ${JSON.stringify(list.name)} cached result`, `${read.path}: ${read.reason}`)
    deps.warn?.(`removing corrupt cache file ${read.path} (${read.reason}); DEL goes on without prevResult\n`)
    await deps.files.remove(read.path)
    return undefined
  }
  if (!read.result) return undefined
  try {
    return toCurrentResult(convertResult(toCurrentResult(read.result), list.cniVersion))
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, `failed to convert cached result to version ${list.cniVersion}`, asCniError(err).message)
  }
}

/**
 * delList runs DEL over the list in reverse. The first failure halts it and is returned; the
 * cache stays for the runtime's retry (spec "Deleting an attachment": "halt execution and return
 * the error", as libcni does; the chain issue's "go on past errors" yields to the spec).
 */
export const delList = async (list: LoadedList, rt: RuntimeArgs, deps: ExecutorDeps): Promise<void> => {
  await validateAttachment(list, rt, deps, false)
  // before 0.4.0 DEL carries no prevResult (libcni)
  const prev = versionAtLeast(list.cniVersion, '0.4.0') ? await cachedResult(list, rt, deps, true) : undefined
  for (const plugin of [...list.plugins].reverse()) {
    const conf = buildPluginConf(plugin, { name: list.name, cniVersion: list.cniVersion, capabilityArgs: rt.capabilityArgs, ...(prev ? { prevResult: prev } : {}) })
    try {
      await deps.runner.run('DEL', typeOf(plugin), conf, callEnv(rt))
    } catch (err) {
      throw wrapPluginError(err, 'DEL', typeOf(plugin), list.name)
    }
  }
  await removeCache(deps.files, rt.cacheDir, list.name, rt.containerId, rt.ifname)
}

/** checkList runs CHECK in order with the cached result; the version gate comes before disableCheck. */
export const checkList = async (list: LoadedList, rt: RuntimeArgs, deps: ExecutorDeps): Promise<void> => {
  if (!versionAtLeast(list.cniVersion, '0.4.0')) {
    throw new CniError(ErrorCode.IncompatibleVersion, `configuration version ${JSON.stringify(list.cniVersion)} does not support the CHECK command`)
  }
  await validateAttachment(list, rt, deps, true)
  if (list.disableCheck) return
  const prev = await cachedResult(list, rt, deps, false)
  if (!prev) {
    throw new CniError(ErrorCode.UnknownContainer, 'no cached result to CHECK against',
      `network ${JSON.stringify(list.name)}, container ${JSON.stringify(rt.containerId)}, ifname ${JSON.stringify(rt.ifname)} was not added with cache dir ${rt.cacheDir}`)
  }
  for (const plugin of list.plugins) {
    const conf = buildPluginConf(plugin, { name: list.name, cniVersion: list.cniVersion, capabilityArgs: rt.capabilityArgs, prevResult: prev })
    try {
      await deps.runner.run('CHECK', typeOf(plugin), conf, callEnv(rt))
    } catch (err) {
      throw wrapPluginError(err, 'CHECK', typeOf(plugin), list.name)
    }
  }
}

/** What GC keeps: the attachments still valid (required: "nothing valid" must be explicit). */
export interface GcArgs {
  validAttachments: Attachment[]
  cacheDir: string
  pluginDirs: string[]
}

/**
 * gcList DELs every cached attachment of the network not in validAttachments (runtime args rebuilt
 * from the cache), then GCs every plugin (list version >= 1.1.0). Errors are collected.
 */
export const gcList = async (list: LoadedList, gc: GcArgs, deps: ExecutorDeps): Promise<void> => {
  checkNetworkName(list.name)
  checkCacheDir(gc.cacheDir)
  for (const a of gc.validAttachments) {
    checkContainerId(a.containerID, 'valid attachment containerID')
    checkInterfaceName(a.ifname, 'valid attachment ifname')
  }
  if (list.disableGC) return
  const errors: CniError[] = []
  const valid = new Set(gc.validAttachments.map((a) => `${a.containerID}\0${a.ifname}`))
  for (const entry of await listCachedAttachments(deps.files, gc.cacheDir)) {
    if (entry.networkName !== list.name || valid.has(`${entry.containerId}\0${entry.ifName}`)) continue
    try {
      await delList(list, {
        containerId: entry.containerId,
        ifname: entry.ifName,
        netns: entry.netns ?? '',
        args: entry.cniArgs ?? [],
        capabilityArgs: entry.capabilityArgs ?? {},
        cacheDir: gc.cacheDir,
        pluginDirs: gc.pluginDirs,
      }, deps)
    } catch (err) {
      errors.push(asCniError(err))
    }
  }
  if (versionAtLeast(list.cniVersion, '1.1.0')) {
    const env: CallEnv = { containerId: '', netns: '', ifname: '', args: '', pluginDirs: gc.pluginDirs }
    for (const plugin of list.plugins) {
      const conf = buildPluginConf(plugin, { name: list.name, cniVersion: list.cniVersion, validAttachments: gc.validAttachments })
      try {
        await deps.runner.run('GC', typeOf(plugin), conf, env)
      } catch (err) {
        errors.push(wrapPluginError(err, 'GC', typeOf(plugin), list.name))
      }
    }
  }
  if (errors.length > 0) throw joinErrors(errors)
}

/** statusList asks every plugin whether it can serve ADD (1.1.0+; older lists are "ready"). */
export const statusList = async (list: LoadedList, pluginDirs: string[], deps: ExecutorDeps): Promise<void> => {
  if (!versionAtLeast(list.cniVersion, '1.1.0')) return
  const env: CallEnv = { containerId: '', netns: '', ifname: '', args: '', pluginDirs }
  for (const plugin of list.plugins) {
    const conf = buildPluginConf(plugin, { name: list.name, cniVersion: list.cniVersion })
    try {
      await deps.runner.run('STATUS', typeOf(plugin), conf, env)
    } catch (err) {
      throw wrapPluginError(err, 'STATUS', typeOf(plugin), list.name)
    }
  }
}

/** The answer of VERSION. */
export interface VersionInfo {
  cniVersion: string
  supportedVersions: string[]
}

/** pluginVersion asks plugin `type` for its supported versions (legacy plugins: ["0.1.0"]). */
export const pluginVersion = async (type: string, pluginDirs: string[], deps: ExecutorDeps): Promise<VersionInfo> => {
  const env: CallEnv = { containerId: '', netns: '', ifname: '', args: '', pluginDirs }
  let out: JsonObject | undefined
  try {
    out = await deps.runner.run('VERSION', type, { cniVersion: '1.1.0' }, env)
  } catch (err) {
    if (asCniError(err).msg === 'unknown CNI_COMMAND: VERSION') return { cniVersion: '0.1.0', supportedVersions: ['0.1.0'] }
    throw wrapPluginError(err, 'VERSION', type)
  }
  const versions = out?.supportedVersions
  if (typeof out?.cniVersion !== 'string') throw new CniError(ErrorCode.DecodingFailure, `plugin ${JSON.stringify(type)} answered VERSION without cniVersion`)
  if (Array.isArray(versions) && versions.every((v) => typeof v === 'string')) return { cniVersion: out.cniVersion, supportedVersions: versions as string[] }
  if (out.cniVersion === '0.2.0') return { cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] }
  throw new CniError(ErrorCode.DecodingFailure, `plugin ${JSON.stringify(type)} answered VERSION without supportedVersions`)
}
