// The install manifest, `<bin>/.cni-chain/manifest.json`: what `cni-chain install` placed and
// appended, so `cni-chain uninstall` reverses exactly that and nothing else. Written atomically,
// and only when it changes (a second install run leaves every byte as it was).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isObject } from '../../../src/cni/keys.js'
import { writeFileAtomic } from '../files/atomic.js'
import { PRIVATE_DIR } from './launcher.js'
import { byKey } from '../../../src/util/compare.js'

export interface PlacedBinary {
  name: string
  /** sha256 of the launcher written: uninstall removes the file only while it still holds that */
  sha256: string
  /** a binary of that name was there before and is kept in .cni-chain/backup/<name> */
  backup: boolean
}

export interface AppendedPlugin {
  type: string
  /** the plugin's settings in canonical JSON (keys sorted): uninstall removes only an equal entry */
  config: string
}

export interface ConflistRecord {
  path: string
  appended: AppendedPlugin[]
}

export interface Manifest {
  version: 1
  /** the Node binary the launchers run (as the node sees it) */
  node: string
  /** whether that binary is the copy in .cni-chain/node */
  nodeBundled: boolean
  binaries: PlacedBinary[]
  conflists: ConflistRecord[]
}

export const manifestPath = (binDir: string): string => join(binDir, PRIVATE_DIR, 'manifest.json')

export const emptyManifest = (): Manifest => ({ version: 1, node: '', nodeBundled: false, binaries: [], conflists: [] })

/** readManifest returns the manifest in binDir, undefined when there is none; refuses a broken one. */
export const readManifest = async (binDir: string): Promise<Manifest | undefined> => {
  const path = manifestPath(binDir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new Error(`${path}: not JSON; remove it to start over`)
  }
  if (!isObject(raw) || raw.version !== 1 || !Array.isArray(raw.binaries) || !Array.isArray(raw.conflists)) {
    throw new Error(`${path}: not a cni-chain install manifest (version 1)`)
  }
  return raw as unknown as Manifest
}

export const manifestText = (m: Manifest): string => `${JSON.stringify(m, null, 2)}\n`

/** writeManifest stores m unless the file already holds exactly that; returns whether it wrote. */
export const writeManifest = async (binDir: string, m: Manifest): Promise<boolean> => {
  const path = manifestPath(binDir)
  const text = manifestText(m)
  const current = await readFile(path, 'utf8').catch(() => undefined)
  if (current === text) return false
  await writeFileAtomic(path, text, { mode: 0o644 })
  return true
}

/** recordAppended notes that `plugins` were appended to `path` (same type: the newer settings win). */
export const recordAppended = (m: Manifest, path: string, plugins: AppendedPlugin[]): Manifest => {
  if (plugins.length === 0) return m
  const existing = m.conflists.find((c) => c.path === path)
  const merged = [...(existing?.appended ?? []).filter((a) => !plugins.some((p) => p.type === a.type)), ...plugins]
  const others = m.conflists.filter((c) => c.path !== path)
  return { ...m, conflists: [...others, { path, appended: merged }].sort(byKey((c) => c.path)) }
}
