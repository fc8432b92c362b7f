// Typed entry points to the precompiled JSON schemas (src/schemas/*.schema.json): each assert*
// returns its input typed, or throws a CniError whose details is ajv's error text.
import {
  validateConflist, validateNetconf, validateResult, validateRuntimeConfig,
} from '../generated/validators.js'
import type { ValidateFunction } from 'ajv'
import { ajvErrorText } from './ajv-errors.js'
import { normalizeCapabilityArgs, type RuntimeConfig } from './capabilities.js'
import { CniError, ErrorCode } from './errors.js'
import { isObject, normalizeKeys } from './keys.js'
import type { ConfList, JsonObject, PluginConf, Result } from './types.js'

const check = (validate: ValidateFunction, value: unknown, what: string, msg: string, code: number = ErrorCode.InvalidConfig): void => {
  if (!validate(value)) throw new CniError(code, msg, ajvErrorText(validate.errors, what))
}

// libcni readBool: true/false as JSON or as a string in any case
const readFlag = (v: unknown): boolean | undefined => (typeof v === 'string' ? v.toLowerCase() === 'true' : (v as boolean | undefined))

/**
 * assertConfList checks a parsed .conflist (cni-spec.md 2.1) and returns it with the flags as
 * booleans, `cniVersion` "" when absent and `plugins` [] when absent (allowed unless
 * loadOnlyInlinedPlugins: the loader then adds the sibling-directory plugins). Throws CniError 7.
 */
export const assertConfList = (x: unknown): ConfList => {
  check(validateConflist, x, 'conflist', 'invalid network configuration list')
  const o = x as JsonObject
  const out: ConfList = { ...o, cniVersion: (o.cniVersion as string | undefined) ?? '', name: o.name as string, plugins: (o.plugins as JsonObject[] | undefined) ?? [] }
  for (const flag of ['disableCheck', 'disableGC', 'loadOnlyInlinedPlugins'] as const) {
    const v = readFlag(o[flag])
    if (v === undefined) delete out[flag]
    else out[flag] = v
  }
  return out
}

// the protocol keys Go's types.NetConf decodes (case-insensitively)
const NETCONF_KEYS = ['cniVersion', 'name', 'type', 'capabilities', 'ipMasq', 'ipam', 'dns', 'runtimeConfig', 'prevResult', 'args']

/**
 * assertNetConf checks one plugin configuration (a conflist entry or a plugin's stdin): `type`
 * is a file name, `capabilities` a map of booleans, the GC attachment lists well formed.
 * Protocol keys are matched case-insensitively first. Throws CniError 7.
 */
export const assertNetConf = (x: unknown): PluginConf => {
  if (!isObject(x)) throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', 'netconf must be a JSON object')
  const o = normalizeKeys(x, NETCONF_KEYS)
  check(validateNetconf, o, 'netconf', 'invalid network config')
  return o as PluginConf
}

/**
 * assertRuntimeConfig normalizes the keys of a runtimeConfig (normalizeCapabilityArgs) and checks
 * the well-known capabilities: ports 1-65535, tcp/udp/sctp, bandwidth integers >= 0, a MAC...
 * Throws CniError 7 naming the bad value.
 */
export const assertRuntimeConfig = (x: unknown): RuntimeConfig => {
  if (x === undefined) return {}
  if (!isObject(x)) throw new CniError(ErrorCode.InvalidConfig, 'invalid runtimeConfig', 'runtimeConfig must be a JSON object')
  const o = normalizeCapabilityArgs(x)
  check(validateRuntimeConfig, o, 'runtimeConfig', 'invalid runtimeConfig')
  return o as RuntimeConfig
}

/**
 * assertResult checks that x has the shape of a 0.3.0-1.1.0 result (exact keys, no conversion;
 * use toCurrentResult to read results of any version). Throws CniError 6.
 */
export const assertResult = (x: unknown): Result => {
  check(validateResult, x, 'result', 'invalid result', ErrorCode.DecodingFailure)
  return x as Result
}
