// `cni-chain add NETWORK NETNS`: ADD the network to a namespace and print the result.
import type { CommandModule } from 'yargs'
import { addList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { type AttachmentOptions, attachmentOptions, confDirOf, executorDeps, runtimeArgsOf } from '../runtime.js'

/** addCommand runs ADD over the list and prints the final result JSON. */
export const addCommand: CommandModule<object, AttachmentOptions> = {
  command: 'add <network> <netns>',
  describe: 'add a network to a namespace (prints the result)',
  builder: (y) => attachmentOptions(y) as never,
  handler: async (argv) => {
    const list = await loadNetwork(argv.network, confDirOf(argv))
    const result = await addList(list, runtimeArgsOf(argv), executorDeps(argv))
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  },
}
