// Loading a network configuration list the way libcni does (cni-spec.md §2.1): from a file or by
// network name from a conf dir, `.conf` single configs wrapped into a list, plugins of the sibling
// dir `<confdir>/<name>/*.conf` appended, the boolean flags also as "true"/"false" strings, and
// `cniVersions` resolved to the highest version cni-chain implements. Files are read through the
// host seam (FileReader: the real files by default, the semantic fake's in tests and fixtures).
import { basename, dirname, extname, join } from 'node:path'
import { CniError, ErrorCode, invalidConfig } from '../src/cni/errors.js'
import { isObject } from '../src/cni/keys.js'
import { parseJson } from '../src/cni/json.js'
import type { JsonObject } from '../src/cni/types.js'
import { assertConfList, assertNetConf } from '../src/cni/schemas.js'
import { isValidNetworkName } from '../src/cni/validate.js'
import { CURRENT_VERSION, compareVersions, parseVersion } from '../src/cni/versions.js'
import { realFiles } from '../src/host/files.js'
import type { FileReader } from '../src/host/types.js'

/** A list ready to run: flags resolved, cniVersion selected, plugins aggregated. */
export interface LoadedList {
  name: string
  /** the version sent to every plugin (cniVersion, or the highest usable of cniVersions) */
  cniVersion: string
  disableCheck: boolean
  disableGC: boolean
  loadOnlyInlinedPlugins: boolean
  /** inline plugins, then the sibling dir's */
  plugins: JsonObject[]
  /** the main file's bytes (for a .conf: the list it was wrapped into); cached as `config` */
  bytes: Buffer
  /** the file it came from, when it came from a file */
  path?: string
}

const parseError = (source: string, details: string): CniError =>
  new CniError(ErrorCode.DecodingFailure, `error parsing configuration list ${source}`, details)

/**
 * selectVersion returns the version a list runs with: the highest of cniVersion and the entries
 * of cniVersions that cni-chain implements (entries above CURRENT_VERSION are ignored).
 */
export const selectVersion = (cniVersion: string, cniVersions: unknown): string => {
  if (cniVersions === undefined) return cniVersion
  if (!Array.isArray(cniVersions) || cniVersions.some((v) => typeof v !== 'string')) {
    throw invalidConfig('cniVersions must be an array of strings')
  }
  let chosen = cniVersion
  for (const v of cniVersions as string[]) {
    try {
      parseVersion(v)
    } catch {
      throw invalidConfig(`cniVersions: invalid version ${JSON.stringify(v)}`)
    }
    if (compareVersions(v, CURRENT_VERSION) > 0) continue
    if (chosen === '' || compareVersions(v, chosen) > 0) chosen = v
  }
  return chosen
}

/** inContext prefixes a CniError's message with where it was found (a file, a plugin index). */
const inContext = <T>(where: string, f: () => T): T => {
  try {
    return f()
  } catch (err) {
    if (err instanceof CniError) throw new CniError(err.code, `${where}: ${err.msg}`, err.details)
    throw err
  }
}

// one plugin object: the netconf schema (a `type` without path separators, boolean capabilities)
const checkPlugin = (p: unknown, where: string): JsonObject => {
  inContext(where, () => assertNetConf(p))
  return p as JsonObject
}

/** parseObject decodes a config file's bytes into a JSON object (code 6 otherwise). */
const parseObject = (bytes: Buffer, source: string): JsonObject => {
  let raw: unknown
  try {
    raw = parseJson(bytes.toString('utf8'))
  } catch (err) {
    throw parseError(source, err instanceof Error ? err.message : String(err))
  }
  if (!isObject(raw)) throw parseError(source, 'not a JSON object')
  return raw
}

/**
 * parseConfList parses list bytes (pure; no sibling-dir plugins). `source` names the input in
 * errors. Bad JSON is code 6, a bad structure code 7.
 */
export const parseConfList = (bytes: Buffer, source: string): LoadedList => {
  const raw = parseObject(bytes, source)
  // the conflist schema: name, versions, flags (bool or "true"/"false"), plugins
  const list = inContext(source, () => assertConfList(raw))
  const plugins = list.plugins.map((p, i) => checkPlugin(p, `${source}: plugins[${i}]`))
  return {
    name: list.name,
    cniVersion: inContext(source, () => selectVersion(list.cniVersion, list.cniVersions)),
    disableCheck: list.disableCheck ?? false,
    disableGC: list.disableGC ?? false,
    loadOnlyInlinedPlugins: list.loadOnlyInlinedPlugins ?? false,
    plugins,
    bytes,
  }
}

/** wrapConf turns a single-plugin .conf into list bytes, as libcni's ConfListFromConf. */
export const wrapConf = (bytes: Buffer, source: string): Buffer => {
  const raw = parseObject(bytes, source)
  if (Array.isArray(raw.plugins)) return bytes // a list saved under .conf/.json: take it as it is
  checkPlugin(raw, source)
  return Buffer.from(JSON.stringify({ cniVersion: raw.cniVersion ?? '', name: raw.name, plugins: [raw] }))
}

/** readEntry returns a file's bytes; undefined for a directory (or a name a listing showed that is gone). */
const readEntry = async (files: FileReader, path: string): Promise<Buffer | undefined> => {
  try {
    const text = await files.read(path)
    return text === undefined ? undefined : Buffer.from(text, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') return undefined
    throw new CniError(ErrorCode.IoFailure, `error reading ${path}`, (err as Error).message)
  }
}

const readConfFile = async (files: FileReader, path: string): Promise<Buffer> => {
  const bytes = await readEntry(files, path)
  if (bytes === undefined) throw new CniError(ErrorCode.IoFailure, `error reading ${path}`, 'no such file or directory')
  return bytes
}

// a directory that cannot be listed has no configs (as libcni's ConfFiles)
const listDir = async (files: FileReader, dir: string): Promise<string[]> => {
  try {
    return [...(await files.list(dir))].sort()
  } catch {
    return []
  }
}

/** siblingPlugins reads `<dir>/<name>/*.conf` in name order, one plugin object per file. */
const siblingPlugins = async (files: FileReader, dir: string, name: string): Promise<JsonObject[]> => {
  const sub = join(dir, name)
  const names = (await listDir(files, sub)).filter((f) => f.endsWith('.conf'))
  const out: JsonObject[] = []
  for (const f of names) {
    const path = join(sub, f)
    let raw: unknown
    try {
      raw = parseJson((await readConfFile(files, path)).toString('utf8'))
    } catch (err) {
      if (err instanceof CniError) throw err
      throw parseError(path, (err as Error).message)
    }
    out.push(checkPlugin(raw, path))
  }
  return out
}

/** loadConfFile loads a list from a .conflist, or a .conf/.json wrapped into a list. */
export const loadConfFile = async (path: string, files: FileReader = realFiles): Promise<LoadedList> => {
  const raw = await readConfFile(files, path)
  const bytes = extname(path) === '.conflist' ? raw : wrapConf(raw, path)
  const list = parseConfList(bytes, path)
  if (!list.loadOnlyInlinedPlugins) list.plugins.push(...(await siblingPlugins(files, dirname(path), list.name)))
  if (list.plugins.length === 0) throw invalidConfig(`${path}: no plugin configs found`)
  return { ...list, path }
}

/**
 * findNetworkFile returns the file of network `name` in `dir`: the first *.conflist (sorted) with
 * that name, else the first *.conf / *.json. A file that does not parse aborts, as in libcni.
 */
export const findNetworkFile = async (dir: string, name: string, files: FileReader = realFiles): Promise<string> => {
  const entries = await listDir(files, dir)
  const pick = async (exts: string[]): Promise<string | undefined> => {
    for (const f of entries.filter((n) => exts.includes(extname(n)))) {
      const path = join(dir, f)
      const raw = await readEntry(files, path)
      if (raw === undefined) continue // a directory with a config's name
      const bytes = exts.includes('.conflist') ? raw : wrapConf(raw, path)
      if (parseConfList(bytes, path).name === name) return path
    }
    return undefined
  }
  const found = (await pick(['.conflist'])) ?? (await pick(['.conf', '.json']))
  if (!found) throw new CniError(ErrorCode.InvalidConfig, `no net configuration with name ${JSON.stringify(name)} in ${dir}`)
  return found
}

/** loadNetwork loads `nameOrPath`: an existing file path, or a network name looked up in confDir. */
export const loadNetwork = async (nameOrPath: string, confDir: string, files: FileReader = realFiles): Promise<LoadedList> => {
  const looksLikePath = nameOrPath.includes('/') || ['.conf', '.conflist', '.json'].includes(extname(nameOrPath))
  if (looksLikePath) return loadConfFile(nameOrPath, files)
  if (!isValidNetworkName(basename(nameOrPath))) throw invalidConfig(`invalid network name ${JSON.stringify(nameOrPath)}`)
  return loadConfFile(await findNetworkFile(confDir, nameOrPath, files), files)
}
