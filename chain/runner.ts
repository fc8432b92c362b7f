// PluginRunner: how the executor runs one plugin call. The external runner finds `<dir>/<type>`
// on the plugin path and executes it (src/invoke); the in-process runner feeds a built-in plugin
// definition through the same dispatcher a binary uses (runPlugin), so both paths validate,
// gate versions and convert results identically.
import { CniError, ErrorCode } from '../src/cni/errors.js'
import { isObject } from '../src/cni/keys.js'
import type { JsonObject } from '../src/cni/types.js'
import type { Host } from '../src/host/types.js'
import { execPlugin, findPlugin } from '../src/invoke/exec-plugin.js'
import type { Verb } from '../src/skel/env.js'
import type { PluginIO } from '../src/skel/io.js'
import type { PluginDefinition } from '../src/skel/plugin.js'
import { runPlugin } from '../src/skel/run-plugin.js'

/** The attachment parameters of a call; empty strings where a verb has none (as libcni). */
export interface CallEnv {
  containerId: string
  netns: string
  ifname: string
  /** CNI_ARGS as K=V;K=V */
  args: string
  pluginDirs: readonly string[]
}

/** PluginRunner runs one verb of plugin `type` with stdin `conf`; returns stdout JSON or undefined. */
export interface PluginRunner {
  run(verb: Verb, type: string, conf: JsonObject, env: CallEnv): Promise<JsonObject | undefined>
}

/** The six CNI_* variables, every one set (libcni's invoke.Args.AsEnv). */
export interface CniVars {
  CNI_COMMAND: string
  CNI_CONTAINERID: string
  CNI_NETNS: string
  CNI_IFNAME: string
  CNI_ARGS: string
  CNI_PATH: string
}

/** cniEnvOf renders the six CNI_* variables. */
export const cniEnvOf = (verb: Verb, env: CallEnv): CniVars => ({
  CNI_COMMAND: verb,
  CNI_CONTAINERID: env.containerId,
  CNI_NETNS: env.netns,
  CNI_IFNAME: env.ifname,
  CNI_ARGS: env.args,
  CNI_PATH: env.pluginDirs.join(':'),
})

/** externalRunner executes plugin binaries found on env.pluginDirs. */
export const externalRunner = (onStderr: (text: string) => void = (t) => void process.stderr.write(t)): PluginRunner => ({
  run: async (verb, type, conf, env) => {
    const file = await findPlugin(type, env.pluginDirs)
    const vars = cniEnvOf(verb, env)
    // what libcni sends with VERSION
    if (verb === 'VERSION') Object.assign(vars, { CNI_NETNS: 'dummy', CNI_IFNAME: 'dummy', CNI_PATH: 'dummy' })
    return execPlugin(file, conf, vars, { onStderr })
  },
})

/** runDefinition runs a plugin definition in-process through the dispatcher and decodes its output. */
export const runDefinition = async (def: PluginDefinition, verb: Verb, conf: JsonObject, env: CallEnv, makeHost: () => Host): Promise<JsonObject | undefined> => {
  let out = ''
  const io: PluginIO = {
    env: { ...cniEnvOf(verb, env), CNI_CHAIN_DEBUG: process.env.CNI_CHAIN_DEBUG },
    readStdin: async () => JSON.stringify(conf),
    stdout: (text) => void (out += text),
    stderr: (text) => void process.stderr.write(text),
  }
  const code = await runPlugin(def, io, makeHost)
  const parsed: unknown = out.trim() === '' ? undefined : JSON.parse(out)
  if (code !== 0) {
    if (isObject(parsed) && typeof parsed.code === 'number') {
      throw new CniError(parsed.code, String(parsed.msg ?? ''), typeof parsed.details === 'string' ? parsed.details : undefined)
    }
    throw new CniError(ErrorCode.Internal, `${def.type} failed with no error message`)
  }
  return isObject(parsed) ? parsed : undefined
}

/**
 * combinedRunner runs the types `builtin` knows in-process on the host from makeHost, and the
 * rest externally.
 */
export const combinedRunner = (builtin: (type: string) => PluginDefinition | undefined, makeHost: () => Host, external: PluginRunner = externalRunner()): PluginRunner => ({
  run: async (verb, type, conf, env) => {
    const def = builtin(type)
    return def ? runDefinition(def, verb, conf, env, makeHost) : external.run(verb, type, conf, env)
  },
})
