// CNI helpers: run a plugin binary or libcni (cnirun) inside the node namespace, build the
// bridge + host-local conflist most tests start from, write conflists into the topology dir.
import { existsSync, statSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { repoRoot, run, runOk } from './proc.js'
import type { Netns, Topology } from './types.js'

export interface PluginRun {
  stdout: string
  stderr: string
  exitCode: number
  /** stdout parsed as JSON, when it is JSON */
  json?: any
}

const parseJson = (text: string): any => {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** resolvePlugin finds a bare plugin name on topo.cniPath (first match); paths are taken as-is. */
export const resolvePlugin = (topo: Topology, binary: string): string => {
  if (binary.includes('/')) return isAbsolute(binary) ? binary : join(repoRoot, binary)
  for (const dir of topo.cniPath.split(':')) {
    const file = join(dir, binary)
    if (existsSync(file)) return file
  }
  throw new Error(`plugin ${binary} not found on ${topo.cniPath}`)
}

/**
 * runPlugin runs a plugin (a path, or a name looked up on topo.cniPath) inside the node namespace
 * with `env` (CNI_PATH defaults to topo.cniPath) and `stdin` (objects are JSON-encoded).
 */
export const runPlugin = async (topo: Topology, binary: string, env: Record<string, string>, stdin: object | string): Promise<PluginRun> => {
  const file = resolvePlugin(topo, binary)
  const r = await run(topo.node, file, [], {
    input: typeof stdin === 'string' ? stdin : JSON.stringify(stdin),
    env: { CNI_PATH: topo.cniPath, ...env },
  })
  return { ...r, json: parseJson(r.stdout) }
}

export interface BridgeConflistOptions {
  name: string
  /** pod subnet, e.g. '10.250.0.0/24' (IPv4 or IPv6) */
  subnet: string
  /** appended after the bridge plugin (the meta plugins under test) */
  plugins?: object[]
  cniVersion?: string
  /** bridge device name in the node namespace (default 'cni0') */
  bridge?: string
}

/**
 * bridgeConflist returns Debian's bridge (isGateway, ipMasq false, hairpinMode) with host-local
 * IPAM (dataDir under topo.dir, a default route) followed by opts.plugins.
 */
export const bridgeConflist = (topo: Topology, opts: BridgeConflistOptions): object => ({
  cniVersion: opts.cniVersion ?? '1.0.0',
  name: opts.name,
  plugins: [
    {
      type: 'bridge',
      bridge: opts.bridge ?? 'cni0',
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: opts.subnet }]],
        routes: [{ dst: opts.subnet.includes(':') ? '::/0' : '0.0.0.0/0' }],
        dataDir: join(topo.dir, 'ipam'),
      },
    },
    ...(opts.plugins ?? []),
  ],
})

/** writeConf writes conf as JSON to topo.dir/<file> and returns the path. */
export const writeConf = async (topo: Topology, file: string, conf: object): Promise<string> => {
  if (file.split('/').includes('..') || isAbsolute(file)) throw new Error(`writeConf: ${file} must be relative to topo.dir`)
  const path = join(topo.dir, file)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(conf, null, 2)}\n`)
  return path
}

/** Where test.sh (and the harness, on demand) builds cnirun: a git-ignored project path. */
export const cnirunPath = join(repoRoot, '.cache', 'cnirun')
/** The project's libcni test runtime: main.go and its offline build.sh. */
const cnirunSrc = join(repoRoot, 'test', 'tools', 'cnirun')

const isFresh = (): boolean => {
  if (!existsSync(cnirunPath)) return false
  const built = statSync(cnirunPath).mtimeMs
  return ['main.go', 'build.sh'].every((f) => built >= statSync(join(cnirunSrc, f)).mtimeMs)
}

let building: Promise<string> | undefined

/**
 * ensureCnirun returns the cnirun binary, building it (test/tools/cnirun/build.sh) when it is
 * missing or older than its sources. Builds into a temp name and renames, so parallel test files
 * never see a half-written binary.
 */
export const ensureCnirun = (): Promise<string> => {
  if (isFresh()) return Promise.resolve(cnirunPath)
  building ??= (async () => {
    await mkdir(dirname(cnirunPath), { recursive: true })
    const tmp = `${cnirunPath}.tmp-${process.pid}`
    await runOk(undefined, 'bash', [join(cnirunSrc, 'build.sh'), tmp], { timeoutMs: 600_000 })
    await rename(tmp, cnirunPath)
    return cnirunPath
  })()
  return building
}

export interface CnirunOptions {
  /** default `cnirun-<pod name>` (cnirun's own default) */
  containerId?: string
  ifname?: string
  /** runtime capability args (CAP_ARGS), e.g. { portMappings: [...] } */
  capArgs?: object
  /** CNI_ARGS, K=V;K=V */
  cniArgs?: string
}

/**
 * cnirun drives the conflist through libcni (Debian's, via test/tools/cnirun) inside the node
 * namespace, with CNI_PATH = topo.cniPath and the result cache in topo.cacheDir.
 */
export const cnirun = async (topo: Topology, verb: 'add' | 'check' | 'del', conflistPath: string, pod: Netns,
  opts: CnirunOptions = {}): Promise<PluginRun> => {
  const bin = await ensureCnirun()
  const env: Record<string, string> = { CNI_PATH: topo.cniPath, CNI_CACHE_DIR: topo.cacheDir }
  if (opts.capArgs) env.CAP_ARGS = JSON.stringify(opts.capArgs)
  if (opts.cniArgs) env.CNI_ARGS = opts.cniArgs
  const id = opts.containerId ?? `cnirun-${pod.name}`
  const r = await run(topo.node, bin, [verb, conflistPath, pod.path, id, opts.ifname ?? 'eth0'], { env, timeoutMs: 60_000 })
  return { ...r, json: parseJson(r.stdout) }
}
