// Building one plugin's stdin from its list entry (libcni buildOneConfig + injectRuntimeConfig),
// pure: the list's name and cniVersion injected, prevResult converted to that version,
// runtimeConfig holding only the capabilities the plugin declares true AND the runtime supplied
// (a runtimeConfig or prevResult written in the file is replaced only when one is injected, as libcni).
// `capabilities` itself is dropped: the spec reserves it for the list file (libcni keeps it; the
// plugins here accept both).
import { convertResult } from '../src/cni/result-convert.js'
import { getKey, isObject } from '../src/cni/keys.js'
import type { Attachment, JsonObject, Result } from '../src/cni/types.js'

export interface BuildOptions {
  name: string
  cniVersion: string
  prevResult?: Result
  /** what the runtime offers (CAP_ARGS / the chain plugin's own runtimeConfig) */
  capabilityArgs?: JsonObject
  /** GC only: the attachments still in use (sent under both spec key spellings) */
  validAttachments?: Attachment[]
}

/** filterRuntimeConfig keeps the capability args the plugin declares true; undefined when none. */
export const filterRuntimeConfig = (plugin: JsonObject, capabilityArgs: JsonObject | undefined): JsonObject | undefined => {
  const caps = plugin.capabilities
  if (!isObject(caps) || !capabilityArgs) return undefined
  const rc: JsonObject = {}
  for (const [cap, enabled] of Object.entries(caps)) {
    if (enabled !== true) continue
    // exact key first; runtimes that send another case still reach the plugin
    const value = cap in capabilityArgs ? capabilityArgs[cap] : getKey(capabilityArgs, cap)
    if (value !== undefined) rc[cap] = value
  }
  return Object.keys(rc).length > 0 ? rc : undefined
}

/** buildPluginConf returns the stdin object of one plugin call. */
export const buildPluginConf = (plugin: JsonObject, opts: BuildOptions): JsonObject => {
  const { capabilities: _dropped, ...rest } = plugin
  const conf: JsonObject = { ...rest, name: opts.name, cniVersion: opts.cniVersion }
  const rc = filterRuntimeConfig(plugin, opts.capabilityArgs)
  if (rc) conf.runtimeConfig = rc
  if (opts.prevResult) conf.prevResult = convertResult(opts.prevResult, opts.cniVersion)
  if (opts.validAttachments) {
    conf['cni.dev/valid-attachments'] = opts.validAttachments
    conf['cni.dev/attachments'] = opts.validAttachments
  }
  return conf
}
