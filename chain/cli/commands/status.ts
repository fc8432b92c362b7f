// `cni-chain status NETWORK`: ask every plugin of the list whether it can serve ADD.
import type { CommandModule } from 'yargs'
import { statusList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { type NetworkOptions, confDirOf, executorDeps, networkOf, networkOptions, pluginDirsOf } from '../runtime.js'

/** statusCommand runs STATUS; silent when every plugin is ready. */
export const statusCommand: CommandModule<object, NetworkOptions> = {
  command: 'status <network>',
  describe: 'tell whether the network can serve ADD',
  builder: (y) => networkOptions(y) as never,
  handler: async (argv) => {
    const pluginDirs = pluginDirsOf(argv)
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    await statusList(list, pluginDirs, executorDeps(argv))
  },
}
