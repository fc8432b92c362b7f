// `cni-chain add NETWORK NETNS`: ADD the network to a namespace and print the result.
import type { CommandModule } from 'yargs'
import { addList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { type AttachmentOptions, attachmentOptions, confDirOf, executorDeps, networkOf, runtimeArgsOf } from '../runtime.js'

/** addCommand runs ADD over the list and prints the final result JSON. */
export const addCommand: CommandModule<object, AttachmentOptions> = {
  command: 'add <network> <netns>',
  describe: 'add a network to a namespace (prints the result)',
  builder: (y) => attachmentOptions(y) as never,
  handler: async (argv) => {
    const rt = runtimeArgsOf(argv) // names and paths checked before anything is read
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    const result = await addList(list, rt, executorDeps(argv))
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  },
}
