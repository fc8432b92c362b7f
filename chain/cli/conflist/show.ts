// `conflist show`: the chain a runtime would run, one row per plugin: order, type, declared
// capabilities, and the binary on CNI_PATH that serves it (libcni's lookup), marked when it is
// cni-chain's. Sub-plugins of a `chain` entry are listed under it (they run inside its process).
import { open } from 'node:fs/promises'
import { CniError } from '../../../src/cni/errors.js'
import { isObject } from '../../../src/cni/keys.js'
import type { JsonObject } from '../../../src/cni/types.js'
import { findPlugin } from '../../../src/invoke/find-plugin.js'
import { LAUNCHER_MARKER } from '../install/launcher.js'
import { builtinMeta } from '../../builtins.js'

export interface ShowRow {
  order: string
  type: string
  capabilities: string[]
  /** the file that serves the type, or undefined when none is on the path */
  binary?: string
  /** 'cni-chain' when the binary is cni-chain's launcher or build, 'in-process' inside a chain */
  origin?: 'cni-chain' | 'in-process'
}

const head = async (path: string): Promise<string> => {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(512)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    return buf.subarray(0, bytesRead).toString('utf8')
  } finally {
    await fh.close()
  }
}

/** isCniChainBinary: a launcher `cni-chain install` wrote, or a bundle from `npm run build`. */
export const isCniChainBinary = async (path: string): Promise<boolean> => {
  try {
    const text = await head(path)
    return text.includes(LAUNCHER_MARKER) || (text.startsWith('#!') && text.includes('__importMetaUrl'))
  } catch {
    return false
  }
}

const capsOf = (p: JsonObject): string[] =>
  isObject(p.capabilities) ? Object.entries(p.capabilities).filter(([, v]) => v === true).map(([k]) => k) : []

const locate = async (type: string, dirs: string[]): Promise<string | undefined> => {
  try {
    return await findPlugin(type, dirs)
  } catch (err) {
    if (err instanceof CniError) return undefined
    throw err
  }
}

/** showRows resolves every plugin of the list against the plugin dirs. */
export const showRows = async (plugins: JsonObject[], dirs: string[]): Promise<ShowRow[]> => {
  const rows: ShowRow[] = []
  for (const [i, p] of plugins.entries()) {
    const type = String(p.type)
    const binary = await locate(type, dirs)
    rows.push({ order: String(i + 1), type, capabilities: capsOf(p), binary, ...(binary && (await isCniChainBinary(binary)) ? { origin: 'cni-chain' as const } : {}) })
    if (type !== 'chain' || !Array.isArray(p.plugins)) continue
    for (const [j, s] of p.plugins.entries()) {
      if (!isObject(s)) continue
      const subType = String(s.type)
      const inProcess = builtinMeta(subType) !== undefined
      const subBinary = inProcess ? undefined : await locate(subType, dirs)
      rows.push({ order: `${i + 1}.${j + 1}`, type: subType, capabilities: capsOf(s), binary: subBinary, ...(inProcess ? { origin: 'in-process' as const } : {}) })
    }
  }
  return rows
}

/** renderTable prints the rows as aligned columns. */
export const renderTable = (rows: ShowRow[], dirs: string[]): string => {
  const cells = rows.map((r) => [
    r.order,
    r.type,
    r.capabilities.length > 0 ? r.capabilities.join(',') : '-',
    r.origin === 'in-process' ? '(in the chain process)' : r.binary ? `${r.binary}${r.origin ? ` (${r.origin})` : ''}` : `NOT FOUND in ${dirs.join(':')}`,
  ])
  const all = [['#', 'type', 'capabilities', 'binary'], ...cells]
  const widths = [0, 1, 2].map((c) => Math.max(...all.map((row) => row[c]!.length)))
  return all.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  ')).join('\n') + '\n'
}
