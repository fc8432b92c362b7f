// PLACEHOLDER (being written by the core helper): run a delegated plugin binary (libcni's invoke).
import type { JsonObject } from '../cni/types.js'

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
  /** extra environment (the process env is inherited; CNI_* values override it) */
  baseEnv?: Record<string, string | undefined>
  timeoutMs?: number
  /** receives the plugin's stderr (logs) */
  onStderr?: (text: string) => void
}

/** findPlugin returns the first `<dir>/<type>` that is a regular file, or throws. */
export declare const findPlugin: (type: string, dirs: readonly string[]) => Promise<string>

/**
 * execPlugin runs the plugin file with stdin = JSON of `conf`, returns the parsed stdout JSON
 * (ADD/VERSION) or undefined (empty stdout), and throws CniError from the plugin's error object.
 */
export declare const execPlugin: (file: string, conf: JsonObject, env: InvokeEnv, opts?: InvokeOptions) => Promise<JsonObject | undefined>
