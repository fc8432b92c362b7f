// What a plugin provides to the dispatcher (src/skel/run-plugin.ts): its type, versions and one
// handler per verb. A missing handler means "nothing to do" for that verb (success), as in skel.
import type { PluginConf, Result } from '../cni/types.js'
import type { Host } from '../host/types.js'
import type { CniEnv } from './env.js'

/** One parsed plugin call. */
export interface PluginRequest {
  env: CniEnv
  /** stdin parsed; cniVersion and name are checked by the dispatcher */
  conf: PluginConf
  /** stdin as received (delegation passes it on unchanged) */
  stdin: string
}

export interface PluginDefinition {
  type: string
  /** spec versions this plugin accepts in cniVersion (exact match, as skel) */
  versions: readonly string[]
  /** printed on stderr when CNI_COMMAND is unset */
  about: string
  add?(req: PluginRequest, host: Host): Promise<Result>
  del?(req: PluginRequest, host: Host): Promise<void>
  check?(req: PluginRequest, host: Host): Promise<void>
  gc?(req: PluginRequest, host: Host): Promise<void>
  status?(req: PluginRequest, host: Host): Promise<void>
}
