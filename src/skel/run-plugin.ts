// runPlugin: the plugin side of the CNI protocol (like Go's pkg/skel). It validates the call,
// gates verbs by version, runs one handler and prints its result or a CNI error on stdout.
// It returns the exit code and never exits the process, so tests call it with fake IO.
import { CniError, ErrorCode, asCniError } from '../cni/errors.js'
import { convertResult } from '../cni/result-convert.js'
import { isObject } from '../cni/keys.js'
import { parseJson } from '../cni/json.js'
import type { PluginConf } from '../cni/types.js'
import { checkNetworkName } from '../cni/validate.js'
import { VERB_MIN_VERSION, compareVersions } from '../cni/versions.js'
import type { Host } from '../host/types.js'
import { readCniEnv } from './env.js'
import type { PluginIO } from './io.js'
import type { PluginDefinition, PluginRequest } from './plugin.js'

/** runPlugin handles one invocation; `makeHost` is called only for verbs that need the host. */
export const runPlugin = async (plugin: PluginDefinition, io: PluginIO, makeHost: () => Host): Promise<number> => {
  let cniVersion: string | undefined
  try {
    if (!io.env.CNI_COMMAND) {
      io.stderr(`${plugin.about}\nCNI protocol versions supported: ${plugin.versions.join(', ')}\n`)
      return 0
    }
    const env = readCniEnv(io.env)
    const stdin = await readInput(io)
    if (env.command === 'VERSION') {
      io.stdout(JSON.stringify({ cniVersion: '1.1.0', supportedVersions: plugin.versions }) + '\n')
      return 0
    }
    const conf = decodeConf(stdin)
    cniVersion = conf.cniVersion
    checkVersion(plugin, env.command, conf.cniVersion)
    checkName(conf)
    await checkNetns(io, env.command, env.netns)
    const req: PluginRequest = { env, conf, stdin }
    const host = makeHost()
    switch (env.command) {
      case 'ADD': {
        if (!plugin.add) throw new CniError(ErrorCode.Internal, `${plugin.type} does not implement ADD yet`)
        const result = await plugin.add(req, host)
        io.stdout(JSON.stringify(convertResult(result, conf.cniVersion)) + '\n')
        return 0
      }
      case 'DEL':
        await plugin.del?.(req, host)
        return 0
      case 'CHECK':
        await plugin.check?.(req, host)
        return 0
      case 'GC':
        await plugin.gc?.(req, host)
        return 0
      case 'STATUS':
        await plugin.status?.(req, host)
        return 0
    }
  } catch (err) {
    const e = asCniError(err)
    io.stdout(JSON.stringify(e.toJSON(cniVersion)) + '\n')
    if (io.env.CNI_CHAIN_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + '\n')
    return 1
  }
}

const readInput = async (io: PluginIO): Promise<string> => {
  try {
    return await io.readStdin()
  } catch (err) {
    throw new CniError(ErrorCode.IoFailure, 'error reading from stdin', err instanceof Error ? err.message : String(err))
  }
}

/** decodeConf parses stdin: not JSON or nested too deep → 6; missing network name → 7 (as skel). */
const decodeConf = (stdin: string): PluginConf => {
  let parsed: unknown
  try {
    parsed = parseJson(stdin)
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, 'error unmarshaling network config', err instanceof Error ? err.message : String(err))
  }
  if (!isObject(parsed)) throw new CniError(ErrorCode.DecodingFailure, 'error unmarshaling network config', 'stdin is not a JSON object')
  const cniVersion = parsed.cniVersion ?? ''
  if (typeof cniVersion !== 'string') throw new CniError(ErrorCode.DecodingFailure, 'error unmarshaling network config', 'cniVersion must be a string')
  parsed.cniVersion = cniVersion
  return parsed as PluginConf
}

const checkVersion = (plugin: PluginDefinition, command: string, cniVersion: string): void => {
  if (!plugin.versions.includes(cniVersion)) {
    throw new CniError(ErrorCode.IncompatibleVersion, 'incompatible CNI versions',
      `config is ${JSON.stringify(cniVersion)}, plugin supports ${JSON.stringify(plugin.versions)}`)
  }
  const min = VERB_MIN_VERSION[command]
  if (min && compareVersions(cniVersion, min) < 0) {
    throw new CniError(ErrorCode.IncompatibleVersion, `config version does not allow ${command}`,
      `config is ${JSON.stringify(cniVersion)}, ${command} needs ${min} or later`)
  }
}

/**
 * checkNetns: ADD and CHECK work inside CNI_NETNS, so it must be a namespace (code 4, the spec's
 * "invalid necessary environment variables", naming it). DEL must complete when the namespace
 * is already gone, so it is not checked there.
 */
const checkNetns = async (io: PluginIO, command: string, netns: string): Promise<void> => {
  if ((command !== 'ADD' && command !== 'CHECK') || !io.inspectNetns) return
  const problem = await io.inspectNetns(netns)
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_NETNS', problem)
}

/** checkName: every piece of plugin state is keyed by the network name, so it must be usable. */
const checkName = (conf: PluginConf): void => {
  if (typeof conf.name !== 'string') throw new CniError(ErrorCode.InvalidConfig, 'missing network name')
  checkNetworkName(conf.name)
}
