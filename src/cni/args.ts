// CNI_ARGS ("K=V;K=V") parsing, as Go's types.LoadArgs reads it.
import { CniError, ErrorCode } from './errors.js'

/** parseCniArgs splits CNI_ARGS into ordered [key, value] pairs; every pair needs exactly one "=". */
export const parseCniArgs = (raw: string): [string, string][] => {
  if (raw === '') return []
  return raw.split(';').filter((kv) => kv !== '').map((kv) => {
    const parts = kv.split('=')
    if (parts.length !== 2) throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_ARGS', `invalid pair ${JSON.stringify(kv)}`)
    return [parts[0] as string, parts[1] as string]
  })
}

/**
 * loadCniArgs reads the keys a plugin knows. Unknown keys are an error unless IgnoreUnknown is
 * 1/true (libcni's rule, which makes runtimes add IgnoreUnknown=1).
 */
export const loadCniArgs = (raw: string, known: readonly string[]): Record<string, string> => {
  const pairs = parseCniArgs(raw)
  const out: Record<string, string> = {}
  let ignoreUnknown = false
  const unknown: string[] = []
  for (const [k, v] of pairs) {
    if (k === 'IgnoreUnknown') {
      if (!['1', 'true', 'True', '0', 'false', 'False'].includes(v)) {
        throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_ARGS', `IgnoreUnknown=${v} is not a boolean`)
      }
      ignoreUnknown = ['1', 'true', 'True'].includes(v)
    } else if (known.includes(k)) {
      out[k] = v
    } else {
      unknown.push(k)
    }
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_ARGS', `unknown args ${JSON.stringify(unknown)}`)
  }
  return out
}
