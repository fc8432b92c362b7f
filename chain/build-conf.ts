// Building one plugin's stdin from its list entry (libcni buildOneConfig + injectRuntimeConfig),
// pure: the list's name and cniVersion injected, prevResult converted to that version,
// runtimeConfig holding only the capabilities the plugin declares true AND the runtime supplied
// (a runtimeConfig or prevResult written in the file is replaced only when one is injected, as libcni).
// Capability names match exactly, as libcni's injectRuntimeConfig looks them up in a Go map: a
// plugin declaring `PortMappings` gets nothing from CAP_ARGS `portMappings`. The `capabilities`
// key itself is found case-insensitively, as Go decodes it into types.NetConf.
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
  const caps = getKey(plugin, 'capabilities')
  if (!isObject(caps) || !capabilityArgs) return undefined
  // own keys only ("constructor" is not a capability arg); fromEntries keeps "__proto__" a plain key
  const entries = Object.entries(caps)
    .filter(([cap, enabled]) => enabled === true && Object.hasOwn(capabilityArgs, cap) && capabilityArgs[cap] !== undefined)
    .map(([cap]) => [cap, capabilityArgs[cap]] as const)
  return entries.length > 0 ? Object.fromEntries(entries) as JsonObject : undefined
}

/** buildPluginConf returns the stdin object of one plugin call. */
export const buildPluginConf = (plugin: JsonObject, opts: BuildOptions): JsonObject => {
  const rest = Object.fromEntries(Object.entries(plugin).filter(([k]) => k.toLowerCase() !== 'capabilities'))
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
