// `cni-chain version [PLUGIN_TYPE]`: cni-chain's own versions, or a plugin's VERSION answer.
import type { CommandModule } from 'yargs'
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from '../../../src/cni/versions.js'
import { pluginVersion } from '../../executor.js'
import { executorDeps, pluginDirsOf } from '../runtime.js'

interface VersionOptions {
  type?: string
  'bin-dir'?: string
  builtins: boolean
}

/** versionCommand prints {cniVersion, supportedVersions} as JSON. */
export const versionCommand: CommandModule<object, VersionOptions> = {
  command: 'version [type]',
  describe: "print the CNI versions cni-chain (or plugin TYPE) supports",
  builder: (y) =>
    y
      .positional('type', { type: 'string', describe: 'a plugin type to ask (VERSION)' })
      .option('bin-dir', { type: 'string', describe: 'plugin directories, colon separated', defaultDescription: '$CNI_PATH or /opt/cni/bin' })
      .option('builtins', { type: 'boolean', default: true, describe: 'answer for built-in plugins in-process' }) as never,
  handler: async (argv) => {
    const info = argv.type
      ? await pluginVersion(argv.type, pluginDirsOf(argv), executorDeps(argv))
      : { cniVersion: CURRENT_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] }
    process.stdout.write(JSON.stringify(info) + '\n')
  },
}
