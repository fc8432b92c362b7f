// `cni-chain del NETWORK NETNS`: DEL an attachment (idempotent).
import type { CommandModule } from 'yargs'
import { delList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { dryRun, dryRunOptions, type DryRunOptions } from '../dry-run.js'
import { type AttachmentOptions, attachmentOptions, confDirOf, executorDeps, networkOf, runtimeArgsOf } from '../runtime.js'

/** delCommand runs DEL over the list in reverse order. */
export const delCommand: CommandModule<object, AttachmentOptions & DryRunOptions> = {
  command: 'del <network> <netns>',
  describe: 'remove a network from a namespace',
  builder: (y) => dryRunOptions(attachmentOptions(y)) as never,
  handler: async (argv) => {
    const rt = runtimeArgsOf(argv) // names and paths checked before anything is read
    if (argv['dry-run']) return dryRun('DEL', argv, rt)
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    await delList(list, rt, executorDeps(argv))
  },
}
