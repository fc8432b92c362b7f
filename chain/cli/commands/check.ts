// `cni-chain check NETWORK NETNS`: CHECK an attachment against its cached result.
import type { CommandModule } from 'yargs'
import { checkList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { dryRun, dryRunOptions, type DryRunOptions } from '../dry-run.js'
import { type AttachmentOptions, attachmentOptions, confDirOf, executorDeps, networkOf, runtimeArgsOf } from '../runtime.js'

/** checkCommand runs CHECK over the list; silent on success. */
export const checkCommand: CommandModule<object, AttachmentOptions & DryRunOptions> = {
  command: 'check <network> <netns>',
  describe: 'check that an attachment is still as ADD left it',
  builder: (y) => dryRunOptions(attachmentOptions(y)) as never,
  handler: async (argv) => {
    const rt = runtimeArgsOf(argv) // names and paths checked before anything is read
    if (argv['dry-run']) return dryRun('CHECK', argv, rt)
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    await checkList(list, rt, executorDeps(argv))
  },
}
