// `cni-chain gc NETWORK (--valid ID/IFNAME ... | --all)`: DEL stale cached attachments, then GC
// every plugin. libcni reads a missing list as "nothing is valid"; here that must be said (--all).
import type { CommandModule } from 'yargs'
import { CniError, ErrorCode } from '../../../src/cni/errors.js'
import type { Attachment } from '../../../src/cni/types.js'
import { checkAttachment } from '../../../src/cni/validate.js'
import { gcList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { type NetworkOptions, cacheDirOf, cacheOption, confDirOf, executorDeps, networkOf, networkOptions, pluginDirsOf } from '../runtime.js'

interface GcOptions extends NetworkOptions {
  valid?: string[]
  all?: boolean
  'cache-dir'?: string
}

/** parseAttachment reads "CONTAINERID/IFNAME" (a container id has no "/"; both checked with libcni's rules). */
const parseAttachment = (s: string): Attachment => {
  const i = s.indexOf('/')
  if (i <= 0 || i === s.length - 1) throw new CniError(ErrorCode.InvalidEnvironment, 'invalid --valid attachment', `${JSON.stringify(s)} is not CONTAINERID/IFNAME`)
  const a = { containerID: s.slice(0, i), ifname: s.slice(i + 1) }
  checkAttachment({ containerId: a.containerID, ifname: a.ifname })
  return a
}

/** gcCommand garbage-collects a network's attachments that are not listed as valid. */
export const gcCommand: CommandModule<object, GcOptions> = {
  command: 'gc <network>',
  describe: 'remove what belongs to attachments that are no longer valid',
  builder: (y) =>
    cacheOption(networkOptions(y))
      .option('valid', { type: 'string', array: true, describe: 'an attachment still in use, CONTAINERID/IFNAME (repeatable)' })
      .option('all', { type: 'boolean', describe: 'no attachment is valid: clean up every cached attachment of the network' })
      .conflicts('valid', 'all')
      .check((a) => {
        if (!a.all && (a.valid === undefined || a.valid.length === 0)) throw new Error('one of --valid ID/IFNAME or --all is required')
        return true
      }) as never,
  handler: async (argv) => {
    const validAttachments = argv.all ? [] : (argv.valid ?? []).map(parseAttachment)
    const gc = { validAttachments, cacheDir: cacheDirOf(argv), pluginDirs: pluginDirsOf(argv) }
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    await gcList(list, gc, executorDeps(argv))
  },
}
