// `cni-chain install`: put the plugins on a node (bin dir + the conflist the runtime uses), once or
// as a watcher (a DaemonSet's long-running container). See chain/cli/install/.
import { realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import type { CommandModule } from 'yargs'
import { isOurType, OUR_TYPES } from '../conflist/plugin-checks.js'
import { InputError, listOption, requireNetworkName, requirePath } from '../files/inputs.js'
import { checkLauncherPath } from '../install/launcher.js'
import { install, installAndWatch, type InstallOptions } from '../install/install.js'

interface InstallArgs {
  'bin-dir': string
  'conf-dir': string
  append?: string[]
  plugin?: string[]
  network?: string
  watch: boolean
  interval: number
  'source-dir'?: string
  'host-bin-dir'?: string
  'bundle-node': boolean
  binaries?: string[]
}

const log = (line: string): void => void process.stdout.write(`${line}\n`)
const logWatch = (line: string): void => log(`${new Date().toISOString()} ${line}`)

/** the directory of the running cni-chain bundle: the plugin bundles are built next to it */
const ownDir = (): string => dirname(realpathSync(process.argv[1] ?? '.'))

/** optionsOf checks every input before anything is read or written. */
export const optionsOf = (argv: InstallArgs): InstallOptions => {
  const binDir = requirePath('bin-dir', argv['bin-dir'])
  const hostBinDir = argv['host-bin-dir'] === undefined ? binDir : requirePath('host-bin-dir', argv['host-bin-dir'])
  const binaries = argv.binaries === undefined ? [...OUR_TYPES] : listOption(argv.binaries)
  for (const b of binaries) if (!isOurType(b)) throw new InputError(`--binaries: ${JSON.stringify(b)} is not a cni-chain plugin (${OUR_TYPES.join(', ')})`)
  // the launchers must name a Node binary the node has: from a container, the copy in the bin dir
  const bundleNode = argv['bundle-node'] || hostBinDir !== binDir
  checkLauncherPath(hostBinDir, '--host-bin-dir')
  if (!Number.isFinite(argv.interval) || argv.interval < 1 || argv.interval > 3600) throw new InputError('--interval: seconds between 1 and 3600')
  return {
    binDir,
    hostBinDir,
    confDir: requirePath('conf-dir', argv['conf-dir']),
    sourceDir: argv['source-dir'] === undefined ? ownDir() : requirePath('source-dir', argv['source-dir']),
    nodePath: realpathSync(process.execPath),
    bundleNode,
    binaries,
    appendTypes: listOption(argv.append),
    pluginJson: argv.plugin ?? [],
    ...(argv.network !== undefined ? { network: requireNetworkName('network', argv.network) } : {}),
    log: argv.watch ? logWatch : log,
  }
}

export const installCommand: CommandModule<object, InstallArgs> = {
  command: 'install',
  describe: 'place the plugin binaries in a CNI bin dir and append meta plugins to the conflist the runtime uses',
  builder: (y) =>
    y
      .option('bin-dir', { type: 'string', demandOption: true, describe: 'the CNI plugin directory, e.g. /opt/cni/bin' })
      .option('conf-dir', { type: 'string', demandOption: true, describe: 'the CNI config directory, e.g. /etc/cni/net.d' })
      .option('append', { type: 'string', array: true, describe: `plugin types to append with default settings, comma separated (${Object.keys({ tuning: 1, portmap: 1, bandwidth: 1, firewall: 1 }).join(', ')})` })
      .option('plugin', { type: 'string', array: true, describe: 'a plugin to append as JSON (repeatable), for settings other than the defaults' })
      .option('network', { type: 'string', describe: 'the network to append to, by name', defaultDescription: 'the lexically first .conf/.conflist/.json file (what containerd and CRI-O use)' })
      .option('watch', { type: 'boolean', default: false, describe: 'keep running: re-append when the primary CNI rewrites its conflist, re-place overwritten binaries' })
      .option('interval', { type: 'number', default: 10, describe: 'with --watch: seconds between re-checks besides file events' })
      .option('source-dir', { type: 'string', describe: 'where the built plugin bundles are', defaultDescription: "the running cni-chain's directory" })
      .option('host-bin-dir', { type: 'string', describe: 'the bin dir as the node sees it, when installing from a container that mounts it elsewhere (implies --bundle-node)' })
      .option('bundle-node', { type: 'boolean', default: false, describe: 'copy this Node.js binary into the bin dir and run the plugins with it' })
      .option('binaries', { type: 'string', array: true, describe: 'which plugin binaries to place, comma separated', defaultDescription: OUR_TYPES.join(',') }) as never,
  handler: async (argv) => {
    const o = optionsOf(argv)
    if (!argv.watch) return install(o)
    const stop = new AbortController()
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort())
    await installAndWatch(o, argv.interval * 1000, stop.signal)
  },
}
