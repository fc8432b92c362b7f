// Error wrapping for chains: each failed plugin call is named once, the CNI code kept
// (`plugin type="x" name="n" failed (add): <msg>`, as libcni words it).
import { CniError, ErrorCode, asCniError } from '../src/cni/errors.js'

const VERB_WORDS: Record<string, string> = { ADD: 'add', DEL: 'delete', CHECK: 'check', GC: 'gc', STATUS: 'status', VERSION: 'version' }

/** pluginDescription names a plugin as libcni does: type="x" name="n". */
export const pluginDescription = (type: string, name?: string): string =>
  `type=${JSON.stringify(type)}${name ? ` name=${JSON.stringify(name)}` : ''}`

/** wrapPluginError prefixes err with the plugin and verb, keeping its code and details. */
export const wrapPluginError = (err: unknown, verb: string, type: string, name?: string): CniError => {
  const e = asCniError(err)
  return new CniError(e.code, `plugin ${pluginDescription(type, name)} failed (${VERB_WORDS[verb] ?? verb.toLowerCase()}): ${e.msg}`, e.details)
}

/**
 * joinErrors reports several failures as one error: the first one's code, every message joined
 * with "; " (a single error is returned as it is).
 */
export const joinErrors = (errors: CniError[]): CniError => {
  if (errors.length === 1) return errors[0] as CniError
  const first = errors[0]
  return new CniError(first?.code ?? ErrorCode.Internal, errors.map((e) => e.message).join('; '))
}
