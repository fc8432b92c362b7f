// `cni-chain uninstall [--purge]`: reverse what `cni-chain install` recorded in the bin dir.
import type { CommandModule } from 'yargs'
import { createRealHost } from '../../../src/host/real.js'
import { listOption, requirePath } from '../files/inputs.js'
import { uninstall } from '../install/uninstall.js'

interface UninstallArgs {
  'bin-dir': string
  purge: boolean
  'cache-dir': string
  'state-dir'?: string[]
}

export const uninstallCommand: CommandModule<object, UninstallArgs> = {
  command: 'uninstall',
  describe: 'remove what `cni-chain install` placed and appended (recorded in BIN_DIR/.cni-chain/manifest.json)',
  builder: (y) =>
    y
      .option('bin-dir', { type: 'string', demandOption: true, describe: 'the CNI plugin directory install used' })
      .option('purge', { type: 'boolean', default: false, describe: "also delete the node-wide nft tables and state dirs, once no pod uses them" })
      .option('cache-dir', { type: 'string', default: '/var/lib/cni', describe: 'with --purge: the libcni cache whose attachments count as pods' })
      .option('state-dir', { type: 'string', array: true, describe: 'with --purge: the state dirs to remove, comma separated', defaultDescription: 'those the plugin configs name, and the defaults' }) as never,
  handler: async (argv) => {
    const stateDirs = argv['state-dir'] === undefined ? undefined : listOption(argv['state-dir']).map((d) => requirePath('state-dir', d))
    await uninstall({
      binDir: requirePath('bin-dir', argv['bin-dir']),
      purge: argv.purge,
      cacheDir: requirePath('cache-dir', argv['cache-dir']),
      ...(stateDirs ? { stateDirs } : {}),
      log: (line) => void process.stdout.write(`${line}\n`),
    }, createRealHost)
  },
}
