// The pod's namespace must exist before a plugin reads or changes anything in it.
import { CniError, ErrorCode } from '../cni/errors.js'
import type { ReadHost } from '../host/types.js'

/** requireNetns fails with code 4 when CNI_NETNS is empty or does not name a network namespace. */
export const requireNetns = async (host: ReadHost, netns: string): Promise<void> => {
  if (netns === '' || !(await host.netns.exists(netns))) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_NETNS', `${JSON.stringify(netns)} is not a network namespace`)
  }
}
