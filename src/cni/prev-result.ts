// prevResult, as a chained plugin needs it: present, and parsed to the current result shape
// whatever the config's version (code 7 when missing or unparsable, the reference's messages).
import { CniError, ErrorCode } from './errors.js'
import { getKey } from './keys.js'
import { toCurrentResult } from './result-convert.js'
import type { PluginConf, Result } from './types.js'

/** requirePrevResult returns conf's parsed prevResult; `why` (e.g. "bandwidth must be called as a chained plugin") goes in the details. */
export const requirePrevResult = (conf: PluginConf, why?: string): Result => {
  const raw = getKey(conf, 'prevResult')
  if (raw === undefined || raw === null) throw new CniError(ErrorCode.InvalidConfig, 'Required prevResult missing', why)
  try {
    return toCurrentResult(raw, conf.cniVersion)
  } catch (err) {
    throw new CniError(ErrorCode.InvalidConfig, 'could not parse prevResult', err instanceof Error ? err.message : String(err))
  }
}
