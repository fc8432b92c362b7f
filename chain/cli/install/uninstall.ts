// `cni-chain uninstall`: reverse what the manifest says install did, and nothing else. A plugin
// entry is removed only while it still has the settings install appended; a launcher only while
// it still holds the bytes install wrote (then the binary it replaced comes back from the backup).
// Anything changed since is left in place and named.
import { lstat, readFile, rename, rm, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Host } from '../../../src/host/types.js'
import { ConflistError, readConflistDoc } from '../conflist/document.js'
import { removePlugins } from '../conflist/edit.js'
import { editFile } from '../conflist/file-edit.js'
import { canonicalText, valueOf } from '../conflist/json-text.js'
import { sha256 } from './binaries.js'
import { CODE_DIR, PRIVATE_DIR, VERSION_BUNDLE } from './launcher.js'
import { manifestPath, readManifest, type ConflistRecord, type Manifest } from './manifest.js'
import { purgeNodeState, stateDirsOf, type StateDir } from './purge.js'

export interface UninstallOptions {
  binDir: string
  purge: boolean
  cacheDir: string
  /** state dirs to purge instead of those the configs name (and the defaults) */
  stateDirs?: string[]
  log: (line: string) => void
}

const exists = async (path: string): Promise<boolean> => lstat(path).then(() => true, () => false)

// removes the recorded entries from one conflist; returns the plugin objects still in it
const revertConflist = async (rec: ConflistRecord, log: (line: string) => void): Promise<unknown[]> => {
  if (!(await exists(rec.path))) {
    log(`${rec.path} is gone: nothing to remove there`)
    return []
  }
  try {
    const r = await editFile(rec.path, (text) => {
      let doc = readConflistDoc(text, rec.path)
      const removed: string[] = []
      const left: string[] = []
      for (const a of rec.appended) {
        const out = removePlugins(doc, a.type, rec.path, (node, d) => canonicalText(d.text, node) === a.config)
        if (out.action > 0) removed.push(a.type)
        else if (doc.entries.some((e) => e.type === a.type)) left.push(a.type)
        doc = readConflistDoc(out.text, rec.path)
      }
      return { text: doc.text, removed, left, plugins: doc.entries.map((e) => valueOf(doc.text, e.node)) }
    })
    if (r.removed.length > 0) log(`removed ${r.removed.join(', ')} from ${rec.path}`)
    for (const type of r.left) log(`left ${type} in ${rec.path}: its settings changed since install`)
    return r.plugins
  } catch (err) {
    if (err instanceof ConflistError) {
      log(`left ${rec.path} as it is: ${err.message}`)
      return []
    }
    throw err
  }
}

const revertBinaries = async (binDir: string, m: Manifest, log: (line: string) => void): Promise<void> => {
  const priv = join(binDir, PRIVATE_DIR)
  for (const b of m.binaries) {
    const target = join(binDir, b.name)
    const backup = join(priv, 'backup', b.name)
    const current = await readFile(target).catch(() => undefined)
    const hasBackup = b.backup && (await exists(backup))
    if (current !== undefined && sha256(current) !== b.sha256) {
      log(`left ${target}: replaced by something else since install`)
      await rm(backup, { force: true })
    } else if (hasBackup) {
      await rename(backup, target)
      log(`restored the previous ${b.name} binary`)
    } else if (current !== undefined) {
      await rm(target, { force: true })
      log(`removed ${target}`)
    }
    await rm(join(priv, `${b.name}.cjs`), { force: true })
    await rm(join(priv, CODE_DIR, `${b.name}.cjs`), { force: true })
    await rm(join(priv, CODE_DIR, `${b.name}.cache`), { force: true })
  }
  await rm(join(priv, CODE_DIR, VERSION_BUNDLE), { force: true })
  if (m.nodeBundled || (await exists(join(priv, 'node')))) await rm(join(priv, 'node'), { force: true })
  await rm(manifestPath(binDir), { force: true })
  for (const dir of [join(priv, 'backup'), join(priv, CODE_DIR), priv]) {
    try {
      await rmdir(dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') log(`left ${dir}: it holds files install did not record`)
    }
  }
}

/** uninstall reverses the install recorded in binDir; with purge, then the node-wide state. */
export const uninstall = async (o: UninstallOptions, host: () => Host): Promise<void> => {
  const manifest = await readManifest(o.binDir)
  const remaining: unknown[] = []
  if (!manifest) {
    o.log(`no cni-chain install recorded in ${o.binDir}: nothing to remove`)
  } else {
    for (const rec of manifest.conflists) remaining.push(...(await revertConflist(rec, o.log)))
    await revertBinaries(o.binDir, manifest, o.log)
  }
  if (!o.purge) return
  const recorded = (manifest?.conflists ?? []).flatMap((c) => c.appended.map((a) => JSON.parse(a.config) as unknown))
  const stateDirs: StateDir[] = o.stateDirs
    ? o.stateDirs.flatMap((dir) => [{ type: 'portmap' as const, dir }, { type: 'firewall' as const, dir }, { type: 'tuning' as const, dir }])
    : stateDirsOf([...recorded, ...remaining])
  await purgeNodeState(host(), { cacheDir: o.cacheDir, stateDirs, log: o.log })
}
