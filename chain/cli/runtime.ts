// What the CLI commands share: the runtime options (cnitool's defaults from the environment),
// turning parsed arguments into the executor's RuntimeArgs, and the executor's dependencies.
// Every option that names a file or directory is refused when empty (an empty path is the
// current directory), and the attachment's names are checked with libcni's rules before a
// command loads or touches anything (src/cni/validate.ts). Nothing here runs a verb.
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import type { Argv } from 'yargs'
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import { isObject } from '../../src/cni/keys.js'
import { parseJson } from '../../src/cni/json.js'
import { parseCniArgs } from '../../src/cni/args.js'
import { checkCacheDir } from '../../src/cni/cache.js'
import { checkAttachment } from '../../src/cni/validate.js'
import { netnsProblem } from '../../src/host/netns.js'
import type { JsonObject } from '../../src/cni/types.js'
import { createRealHost } from '../../src/host/real.js'
import { builtinDefinition } from '../builtin-definitions.js'
import type { ExecutorDeps, RuntimeArgs } from '../executor.js'
import { combinedRunner, externalRunner } from '../runner.js'

/** Options every command that loads a network accepts. */
export interface NetworkOptions {
  network: string
  'conf-dir'?: string
  'bin-dir'?: string
  builtins: boolean
}

/** Options of add / check / del. */
export interface AttachmentOptions extends NetworkOptions {
  netns: string
  'container-id'?: string
  ifname?: string
  'cap-args'?: string
  args?: string
  'cache-dir'?: string
}

/** networkOptions adds the conf dir / plugin dir options. */
export const networkOptions = <T>(y: Argv<T>) =>
  y
    .positional('network', { type: 'string', demandOption: true, describe: 'network name in the conf dir, or a path to a .conflist/.conf file' })
    .option('conf-dir', { type: 'string', describe: 'directory of network configurations', defaultDescription: '$NETCONFPATH or /etc/cni/net.d' })
    .option('bin-dir', { type: 'string', describe: 'plugin directories, colon separated', defaultDescription: '$CNI_PATH or /opt/cni/bin' })
    .option('builtins', { type: 'boolean', default: true, describe: 'run the built-in plugins in-process (--no-builtins: execute every type from the plugin dirs)' })

/** cacheOption adds --cache-dir. */
export const cacheOption = <T>(y: Argv<T>) =>
  y.option('cache-dir', { type: 'string', describe: 'result cache directory (libcni layout)', defaultDescription: '/var/lib/cni' })

/** attachmentOptions adds everything add / check / del take. */
export const attachmentOptions = <T>(y: Argv<T>) =>
  cacheOption(networkOptions(y))
    .positional('netns', { type: 'string', demandOption: true, describe: 'network namespace path, e.g. /run/netns/pod1' })
    .option('container-id', { type: 'string', describe: 'container id', defaultDescription: 'cnitool- + 20 hex of sha512(netns path)' })
    .option('ifname', { type: 'string', describe: 'interface name in the namespace', defaultDescription: '$CNI_IFNAME or eth0' })
    .option('cap-args', { type: 'string', describe: 'capability args as a JSON object, e.g. {"portMappings":[...]}', defaultDescription: '$CAP_ARGS' })
    .option('args', { type: 'string', describe: "CNI_ARGS pairs 'K=V;K=V'", defaultDescription: '$CNI_ARGS' })

const env = process.env

/** pathOption returns a path option's value, refusing "" and NUL (code 4: a bad runtime parameter). */
export const pathOption = (option: string, value: string): string => {
  if (value === '' || value.includes('\0')) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid --${option}`, `${JSON.stringify(value)}: an empty path would be the current directory`)
  }
  return value
}

/** confDirOf: --conf-dir, $NETCONFPATH or /etc/cni/net.d. */
export const confDirOf = (o: { 'conf-dir'?: string }): string => pathOption('conf-dir', o['conf-dir'] ?? (env.NETCONFPATH || '/etc/cni/net.d'))

/** pluginDirsOf: --bin-dir, $CNI_PATH or /opt/cni/bin, split on ":". */
export const pluginDirsOf = (o: { 'bin-dir'?: string }): string[] =>
  pathOption('bin-dir', o['bin-dir'] ?? (env.CNI_PATH || '/opt/cni/bin')).split(':').filter((d) => d !== '')

/** cacheDirOf: --cache-dir or /var/lib/cni (checked as the cache module does). */
export const cacheDirOf = (o: { 'cache-dir'?: string }): string => {
  const dir = pathOption('cache-dir', o['cache-dir'] ?? '/var/lib/cni')
  checkCacheDir(dir)
  return dir
}

/** networkOf: the network argument (a name or a file path), refused when empty. */
export const networkOf = (o: { network: string }): string => pathOption('network', o.network)

/** defaultContainerId is cnitool's: "cnitool-" and the first 20 hex digits of sha512(netns). */
export const defaultContainerId = (netnsPath: string): string =>
  `cnitool-${createHash('sha512').update(netnsPath).digest('hex').slice(0, 20)}`

const parseCapArgs = (raw: string | undefined): JsonObject => {
  if (raw === undefined || raw === '') return {}
  let parsed: unknown
  try {
    parsed = parseJson(raw)
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, 'invalid capability args', (err as Error).message)
  }
  if (!isObject(parsed)) throw new CniError(ErrorCode.DecodingFailure, 'invalid capability args', 'must be a JSON object')
  return parsed
}

/**
 * runtimeArgsOf resolves add / check / del options into the executor's RuntimeArgs. It throws
 * before anything is read or run when a path option is empty or the container id / ifname
 * break libcni's rules (the executor checks again, with the network name).
 */
export const runtimeArgsOf = (o: AttachmentOptions): RuntimeArgs => {
  const netns = resolve(pathOption('netns', o.netns))
  const rt: RuntimeArgs = {
    containerId: o['container-id'] ?? defaultContainerId(netns),
    netns,
    ifname: o.ifname ?? (env.CNI_IFNAME || 'eth0'),
    args: parseCniArgs(o.args ?? env.CNI_ARGS ?? ''),
    capabilityArgs: parseCapArgs(o['cap-args'] ?? env.CAP_ARGS),
    cacheDir: cacheDirOf(o),
    pluginDirs: pluginDirsOf(o),
  }
  checkAttachment({ containerId: rt.containerId, ifname: rt.ifname })
  return rt
}

/** executorDeps returns the runner (built-ins in-process unless disabled), the real file seam and netns check. */
export const executorDeps = (o: { builtins?: boolean }): ExecutorDeps => {
  const host = createRealHost()
  const runner = o.builtins === false ? externalRunner() : combinedRunner(builtinDefinition, createRealHost)
  return { runner, files: host.files, warn: (text) => void process.stderr.write(`cni-chain: ${text}`), inspectNetns: netnsProblem }
}
