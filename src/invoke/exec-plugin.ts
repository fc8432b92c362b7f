// execPlugin: the runtime side of one plugin call (libcni's invoke.ExecPlugin*). It runs the
// binary (through src/host/exec.ts, the one module that starts processes: no shell) with the
// config as JSON on stdin, the process's env plus all six CNI_* variables, and a timeout; then
// decodes stdout as libcni does.
import { setTimeout as sleep } from 'node:timers/promises'
import { CniError, ErrorCode } from '../cni/errors.js'
import type { JsonObject } from '../cni/types.js'
import { execWithInput } from '../host/exec.js'
import { decodePluginOutput, type PluginOutput } from './decode-output.js'

export { findPlugin } from './find-plugin.js'

/** The CNI_* variables of one delegated call; every one is set (empty when absent), as libcni does. */
export interface InvokeEnv {
  CNI_COMMAND: string
  CNI_CONTAINERID?: string
  CNI_NETNS?: string
  CNI_IFNAME?: string
  CNI_ARGS?: string
  CNI_PATH: string
}

export interface InvokeOptions {
  /** extra environment over the process env (an undefined value removes a variable); CNI_* values override it */
  baseEnv?: Record<string, string | undefined>
  /** kill the plugin after this long (default 120 s) */
  timeoutMs?: number
  /** receives the plugin's stderr (logs) once it exits; default: this process's stderr */
  onStderr?: (text: string) => void
}

/** The default plugin timeout: generous, an interface plugin may wait for IPAM. */
export const DEFAULT_PLUGIN_TIMEOUT_MS = 120_000

/** pluginEnv builds the child's environment: process env, then baseEnv, then all six CNI_* vars. */
export const pluginEnv = (env: InvokeEnv, baseEnv: Record<string, string | undefined> = {}): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...baseEnv })) if (v !== undefined) out[k] = v
  return {
    ...out,
    CNI_COMMAND: env.CNI_COMMAND,
    CNI_CONTAINERID: env.CNI_CONTAINERID ?? '',
    CNI_NETNS: env.CNI_NETNS ?? '',
    CNI_IFNAME: env.CNI_IFNAME ?? '',
    CNI_ARGS: env.CNI_ARGS ?? '',
    CNI_PATH: env.CNI_PATH,
  }
}

// libcni retries "text file busy" (a binary being replaced) 5 times, one second apart
const TEXT_BUSY_ATTEMPTS = 5

/**
 * execPlugin runs the plugin file with stdin = JSON of `conf`, returns the parsed stdout JSON
 * (ADD/VERSION; `null` is {}) or undefined (empty stdout), and throws CniError from the plugin's
 * error object, or code 999 when it fails without one, cannot start or times out.
 */
export const execPlugin = async (file: string, conf: JsonObject, env: InvokeEnv, opts: InvokeOptions = {}): Promise<JsonObject | undefined> => {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS
  const childEnv = pluginEnv(env, opts.baseEnv)
  const stdin = JSON.stringify(conf)
  for (let attempt = 1; ; attempt++) {
    const r = await execWithInput(file, [], { input: stdin, env: childEnv, timeoutMs })
    if (r.stderr !== '') (opts.onStderr ?? ((t: string) => void process.stderr.write(t)))(r.stderr)
    if (r.timedOut) {
      throw new CniError(ErrorCode.Internal, `plugin ${JSON.stringify(file)} timed out after ${timeoutMs} ms`, r.stderr.trimEnd() || undefined)
    }
    if (r.startError) {
      // it never ran: missing file, no permission, busy text file...
      if (r.startError.code === 'ETXTBSY' && attempt < TEXT_BUSY_ATTEMPTS) {
        await sleep(1000)
        continue
      }
      throw new CniError(ErrorCode.Internal, `failed to execute plugin ${JSON.stringify(file)}`, r.startError.code ?? r.startError.message)
    }
    const output: PluginOutput = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
    if (r.signal !== undefined) output.signal = r.signal
    return decodePluginOutput(output)
  }
}
