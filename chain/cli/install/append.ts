// Install's conflist step: pick the file the runtime uses and append the meta plugins after what
// is there. Types already present are left alone (the primary CNI's own portmap stays as it
// wrote it), except an entry install itself appended earlier, which takes the new settings.
import { readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { CniError } from '../../../src/cni/errors.js'
import { SUPPORTED_VERSIONS } from '../../../src/cni/versions.js'
import { findNetworkFile } from '../../conf-load.js'
import { ConflistError, parsePluginArg, readConflistDoc, type ConflistDoc, type PluginArg } from '../conflist/document.js'
import { appendPlugin } from '../conflist/edit.js'
import { editFile } from '../conflist/file-edit.js'
import { canonicalText, entryOf, valueOf } from '../conflist/json-text.js'
import { recordAppended, type AppendedPlugin, type Manifest } from './manifest.js'

/** The extensions runtimes load (go-cni, CRI-O, libcni). */
export const CONF_EXTENSIONS = ['.conf', '.conflist', '.json']

/** What `--append TYPE` appends: the plugin with the capabilities runtimes fill for it. */
export const DEFAULT_PLUGINS: Readonly<Record<string, object>> = {
  tuning: { type: 'tuning', capabilities: { mac: true } },
  portmap: { type: 'portmap', capabilities: { portMappings: true } },
  bandwidth: { type: 'bandwidth', capabilities: { bandwidth: true } },
  firewall: { type: 'firewall' },
}

/** defaultPlugin returns the --append TYPE plugin, parsed like a --plugin argument. */
export const defaultPlugin = (type: string): PluginArg => {
  const conf = DEFAULT_PLUGINS[type]
  if (!conf) throw new Error(`--append: unknown type ${JSON.stringify(type)} (one of ${Object.keys(DEFAULT_PLUGINS).join(', ')}; use --plugin JSON for other settings)`)
  return parsePluginArg(JSON.stringify(conf))
}

/**
 * pickConflist returns the file the runtime would use: the network `name` (libcni's lookup), or
 * else the lexically first .conf/.conflist/.json regular file (containerd and CRI-O's default
 * network). undefined when there is none yet.
 */
export const pickConflist = async (confDir: string, network?: string): Promise<string | undefined> => {
  if (network !== undefined) {
    try {
      return await findNetworkFile(confDir, network)
    } catch (err) {
      if (err instanceof CniError && err.message.startsWith('no net configuration')) return undefined
      throw err
    }
  }
  let names: string[]
  try {
    names = (await readdir(confDir)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  for (const name of names) {
    if (!CONF_EXTENSIONS.includes(extname(name))) continue
    const path = join(confDir, name)
    if ((await stat(path).catch(() => undefined))?.isFile()) return path
  }
  return undefined
}

export interface AppendReport {
  path: string
  appended: string[]
  replaced: string[]
  written: boolean
}

const checkVersion = (doc: ConflistDoc, path: string): void => {
  const v = entryOf(doc.root, 'cniVersion')
  const version = v ? valueOf(doc.text, v.value) : undefined
  if (typeof version === 'string' && !(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new ConflistError(`${path}: cniVersion ${JSON.stringify(version)} is not one cni-chain's plugins support (${SUPPORTED_VERSIONS.join(', ')}); nothing appended`)
  }
}

/** appendToConflist appends `plugins` to the file at path and records what it appended in the manifest. */
export const appendToConflist = async (path: string, plugins: PluginArg[], manifest: Manifest): Promise<{ manifest: Manifest; report: AppendReport }> => {
  const recorded = manifest.conflists.find((c) => c.path === path)?.appended ?? []
  const result = await editFile(path, (text) => {
    let doc = readConflistDoc(text, path)
    checkVersion(doc, path)
    const appended: string[] = []
    const replaced: string[] = []
    for (const p of plugins) {
      let r = appendPlugin(doc, p, { onDifferent: 'keep' }, path)
      if (r.action === 'kept') {
        const existing = doc.entries.find((e) => e.type === p.type)!
        const ours = recorded.some((a) => a.type === p.type && a.config === canonicalText(doc.text, existing.node))
        if (!ours) continue
        r = appendPlugin(doc, p, { onDifferent: 'replace' }, path)
      }
      if (r.action === 'appended') appended.push(p.type)
      if (r.action === 'replaced') replaced.push(p.type)
      doc = readConflistDoc(r.text, path)
    }
    return { text: doc.text, appended, replaced }
  })
  const changed = [...result.appended, ...result.replaced]
  const records: AppendedPlugin[] = plugins.filter((p) => changed.includes(p.type)).map((p) => ({ type: p.type, config: canonicalText(p.text, p.node) }))
  return {
    manifest: recordAppended(manifest, path, records),
    report: { path, appended: result.appended, replaced: result.replaced, written: result.written },
  }
}
