// decodePluginOutput: what a finished plugin process means, as libcni reads it (pkg/invoke
// exec.go fixupResultVersion, raw_exec.go pluginErr): exit 0 prints a result or nothing; a failure
// prints an error object on stdout, or else the stderr text is the message.
import { CniError, ErrorCode } from '../cni/errors.js'
import { isObject } from '../cni/keys.js'
import { parseJson } from '../cni/json.js'
import type { JsonObject } from '../cni/types.js'

/** How a plugin process ended. */
export interface PluginOutput {
  /** undefined when killed by a signal */
  exitCode: number | undefined
  signal?: string
  stdout: string
  stderr: string
}

const how = (o: PluginOutput): string => (o.exitCode !== undefined ? `exit status ${o.exitCode}` : `killed by ${o.signal ?? 'a signal'}`)

/**
 * decodePluginOutput returns the parsed stdout of a successful run (a literal `null` is {}, empty
 * stdout is undefined) and throws CniError otherwise: the plugin's own error object (its code,
 * msg, details), or code 999 "netplugin failed: "<stderr>"" / "netplugin failed with no error
 * message" / "netplugin failed but error parsing its diagnostic message "<stdout>"". A success
 * whose stdout is not a JSON object throws code 6.
 */
export const decodePluginOutput = (o: PluginOutput): JsonObject | undefined => {
  const stdout = o.stdout.trim()
  if (o.exitCode === 0) {
    if (stdout === '') return undefined
    let parsed: unknown
    try {
      parsed = parseJson(stdout)
    } catch (err) {
      throw new CniError(ErrorCode.DecodingFailure, 'failed to decode plugin output', `${(err as Error).message}: ${JSON.stringify(stdout.slice(0, 200))}`)
    }
    if (parsed === null) return {}
    if (!isObject(parsed)) throw new CniError(ErrorCode.DecodingFailure, 'failed to decode plugin output', `not a JSON object: ${JSON.stringify(stdout)}`)
    return parsed
  }
  if (stdout === '') {
    const stderr = o.stderr.trimEnd()
    if (stderr === '') throw new CniError(ErrorCode.Internal, 'netplugin failed with no error message', how(o))
    throw new CniError(ErrorCode.Internal, `netplugin failed: ${JSON.stringify(stderr)}`, how(o))
  }
  const err = parseErrorObject(stdout)
  if (err) throw err
  throw new CniError(ErrorCode.Internal, `netplugin failed but error parsing its diagnostic message ${JSON.stringify(stdout)}`, how(o))
}

// Go decodes the error into types.Error{Code uint, Msg, Details string}: absent fields are zero,
// fields of the wrong type make the whole message unreadable.
const parseErrorObject = (stdout: string): CniError | undefined => {
  let parsed: unknown
  try {
    parsed = parseJson(stdout)
  } catch {
    return undefined
  }
  if (!isObject(parsed)) return undefined
  const { code = 0, msg = '', details } = parsed
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || typeof msg !== 'string') return undefined
  if (details !== undefined && typeof details !== 'string') return undefined
  return new CniError(code, msg, details === '' ? undefined : details)
}
