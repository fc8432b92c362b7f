// A placeholder plugin: answers VERSION (and its about line) and a CNI error for every other verb,
// until an issue fills it in.
import { CniError, ErrorCode } from '../cni/errors.js'
import { SUPPORTED_VERSIONS } from '../cni/versions.js'
import type { PluginDefinition } from './plugin.js'

/** notImplementedPlugin returns a definition whose verbs all fail with code 100. */
export const notImplementedPlugin = (type: string): PluginDefinition => {
  const fail = async (): Promise<never> => {
    throw new CniError(ErrorCode.PluginSpecific, `${type} is not implemented yet`, 'only VERSION is served by this build')
  }
  return { type, versions: SUPPORTED_VERSIONS, about: `cni-chain ${type} (not implemented yet)`, add: fail, del: fail, check: fail, gc: fail, status: fail }
}
