// `cni-chain install`: place the binaries, append the meta plugins to the conflist the runtime
// uses, record both in the manifest; with --watch, keep doing it as the node's files change.
// Every step writes only what differs, so running it again changes nothing.
import { parsePluginArg, type PluginArg } from '../conflist/document.js'
import { appendToConflist, defaultPlugin, pickConflist } from './append.js'
import { placeBinaries } from './binaries.js'
import { emptyManifest, readManifest, writeManifest } from './manifest.js'
import { watchDirs, type Watcher } from './watch.js'

export interface InstallOptions {
  binDir: string
  hostBinDir: string
  confDir: string
  sourceDir: string
  nodePath: string
  bundleNode: boolean
  /** the plugin binaries to place */
  binaries: readonly string[]
  /** --append types, then --plugin objects, in order */
  appendTypes: string[]
  pluginJson: string[]
  network?: string
  log: (line: string) => void
}

/** pluginsToAppend resolves --append and --plugin into plugin objects (one per type). */
export const pluginsToAppend = (types: string[], json: string[]): PluginArg[] => {
  const plugins = [...types.map(defaultPlugin), ...json.map(parsePluginArg)]
  const seen = new Set<string>()
  for (const p of plugins) {
    if (seen.has(p.type)) throw new Error(`plugin type ${p.type} given twice (--append and --plugin name one plugin each)`)
    seen.add(p.type)
  }
  return plugins
}

/**
 * installOnce runs every step once. `requireConflist`: fail when no conflist exists yet (a plain
 * install); the watcher waits for one instead. Returns whether anything was written.
 */
export const installOnce = async (o: InstallOptions, plugins: PluginArg[], requireConflist: boolean): Promise<boolean> => {
  let manifest = (await readManifest(o.binDir)) ?? emptyManifest()
  const placed = await placeBinaries({
    sourceDir: o.sourceDir, binDir: o.binDir, hostBinDir: o.hostBinDir, nodePath: o.nodePath, bundleNode: o.bundleNode, names: o.binaries,
  }, manifest)
  manifest = placed.manifest
  for (const name of placed.report.backedUp) o.log(`kept the existing ${name} binary as ${o.binDir}/.cni-chain/backup/${name}`)
  if (placed.report.written.length > 0) o.log(`placed ${placed.report.written.join(', ')} in ${o.binDir}`)
  // the binaries are recorded before the conflist step, so uninstall finds them even if it fails
  let wrote = (await writeManifest(o.binDir, manifest)) || placed.report.written.length > 0
  if (plugins.length === 0) return wrote

  const path = await pickConflist(o.confDir, o.network)
  if (!path) {
    const what = o.network ? `network ${JSON.stringify(o.network)}` : 'network configuration (.conf, .conflist, .json)'
    if (requireConflist) throw new Error(`no ${what} in ${o.confDir} yet: nothing to append to (the primary CNI writes it; --watch waits for it)`)
    return wrote
  }
  const appended = await appendToConflist(path, plugins, manifest)
  const { report } = appended
  if (report.appended.length > 0) o.log(`appended ${report.appended.join(', ')} to ${path}`)
  if (report.replaced.length > 0) o.log(`updated ${report.replaced.join(', ')} in ${path}`)
  wrote = (await writeManifest(o.binDir, appended.manifest)) || report.written || wrote
  return wrote
}

/** install runs once and reports; a run that changed nothing says so. */
export const install = async (o: InstallOptions): Promise<void> => {
  const plugins = pluginsToAppend(o.appendTypes, o.pluginJson)
  if (!(await installOnce(o, plugins, true))) o.log('nothing to change')
}

/**
 * installAndWatch runs once (waiting for a conflist when there is none yet), then again on every
 * change until `signal` aborts.
 */
export const installAndWatch = async (o: InstallOptions, intervalMs: number, signal: AbortSignal): Promise<void> => {
  const plugins = pluginsToAppend(o.appendTypes, o.pluginJson)
  const reconcile = async (): Promise<void> => void (await installOnce(o, plugins, false))
  await reconcile()
  o.log(`watching ${o.confDir} and ${o.binDir}`)
  const watcher: Watcher = watchDirs([o.confDir, o.binDir], reconcile, { intervalMs, log: o.log })
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await watcher.stop()
}
