// The result cache in libcni's layout and format (cni-spec.md §3.8), so libcni and cni-chain read
// each other's files: `<cacheDir>/results/<network>-<containerID>-<ifname>`, JSON with
// kind "cniCacheV1", the main config file's bytes in base64, the runtime args and the final result.
// Written atomically (temp + rename) 0600 in a 0700 dir through the Host's file seam.
import { basename, join, resolve, sep } from 'node:path'
import { CniError, ErrorCode } from './errors.js'
import { isObject } from './keys.js'
import { parseJson } from './json.js'
import { checkAttachment } from './validate.js'
import type { JsonObject } from './types.js'
import type { FileHost } from '../host/types.js'

/** What identifies one attachment plus the runtime args needed to DEL it later. */
export interface CacheEntry {
  networkName: string
  containerId: string
  ifName: string
  /** the main list file's bytes */
  config: Buffer
  netns?: string
  cniArgs?: [string, string][]
  capabilityArgs?: JsonObject
  /** the result JSON as cached (any version) */
  result?: JsonObject
}

/** What reading one cache file gave. */
export type CacheRead =
  | { kind: 'missing' }
  | { kind: 'corrupt'; path: string; reason: string }
  /** legacy: the file held a bare result (very old libcni) */
  | { kind: 'ok'; entry?: CacheEntry; result?: JsonObject }

// NAME_MAX of Linux file systems; a longer cache file name cannot exist (libcni could not write it either)
const NAME_MAX = 255
/**
 * MAX_WRITABLE_NAME: the longest cache file name the atomic writer can create: NAME_MAX less the
 * 22 bytes its temp name adds (".NAME.tmp-" + 16 hex digits, src/host/files.ts tempName).
 */
export const MAX_WRITABLE_NAME = NAME_MAX - 22

const tooLong = (path: string, limit: number): boolean => Buffer.byteLength(basename(path)) > limit

/**
 * checkCacheWritable throws code 4 when the attachment's cache file could not be written (bad
 * names, empty cache dir, a name over MAX_WRITABLE_NAME bytes, e.g. a 300-character container
 * id). The executor asks before ADD runs any plugin, so ADD cannot succeed on the host and then
 * fail to record itself.
 */
export const checkCacheWritable = (cacheDir: string, network: string, containerId: string, ifName: string): void => {
  const path = cachePath(cacheDir, network, containerId, ifName)
  if (tooLong(path, MAX_WRITABLE_NAME)) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'cache file name too long',
      `${network}-${containerId}-${ifName} is ${Buffer.byteLength(basename(path))} bytes; the cache can store names up to ${MAX_WRITABLE_NAME} bytes`)
  }
}

/** checkCacheDir refuses an empty cache dir (it would be the cwd, as `--cache-dir ""` did) with code 4. */
export const checkCacheDir = (cacheDir: string): void => void resultsDir(cacheDir)

/** resultsDir is the directory of the attachment files; an empty cache dir is refused (it would be the cwd). */
const resultsDir = (cacheDir: string): string => {
  if (cacheDir === '' || cacheDir.includes('\0')) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'invalid cache dir', `${JSON.stringify(cacheDir)} is not a directory path`)
  }
  return join(cacheDir, 'results')
}

/**
 * cachePath is the file of one attachment. The callers validate the names with libcni's rules
 * (src/cni/validate.ts); this is the last line: a part that is empty or holds "/" or NUL, or a
 * path that would not be a direct child of `<cacheDir>/results/`, is refused with code 4, so no
 * name can make the cache read, write or delete a file anywhere else.
 */
export const cachePath = (cacheDir: string, network: string, containerId: string, ifName: string): string => {
  const dir = resultsDir(cacheDir)
  for (const [what, v] of [['network name', network], ['container id', containerId], ['interface name', ifName]] as const) {
    if (v === '' || v.includes('/') || v.includes('\0')) {
      throw new CniError(ErrorCode.InvalidEnvironment, 'invalid cache file name', `${what} ${JSON.stringify(v)} cannot be part of a file name in ${dir}`)
    }
  }
  const path = join(dir, `${network}-${containerId}-${ifName}`)
  if (!resolve(path).startsWith(resolve(dir) + sep)) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'invalid cache file name', `${JSON.stringify(path)} is outside ${dir}`)
  }
  return path
}

/** writeCache stores the entry (after a successful ADD). */
export const writeCache = async (files: FileHost, cacheDir: string, e: CacheEntry): Promise<void> => {
  const data: JsonObject = {
    kind: 'cniCacheV1',
    containerId: e.containerId,
    config: e.config.toString('base64'),
    ifName: e.ifName,
    networkName: e.networkName,
  }
  // libcni omits empty fields (omitempty)
  if (e.netns) data.netns = e.netns
  if (e.cniArgs && e.cniArgs.length > 0) data.cniArgs = e.cniArgs
  if (e.capabilityArgs && Object.keys(e.capabilityArgs).length > 0) data.capabilityArgs = e.capabilityArgs
  if (e.result) data.result = e.result
  checkCacheWritable(cacheDir, e.networkName, e.containerId, e.ifName)
  await files.write(cachePath(cacheDir, e.networkName, e.containerId, e.ifName), JSON.stringify(data), 0o600)
}

const isPairList = (v: unknown): v is [string, string][] =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === 'string'))

/** parseCacheEntry turns a cniCacheV1 object into a CacheEntry, or undefined when it is not one. */
export const parseCacheEntry = (raw: unknown): CacheEntry | undefined => {
  if (!isObject(raw) || raw.kind !== 'cniCacheV1') return undefined
  const { containerId, ifName, networkName, config, netns, cniArgs, capabilityArgs, result } = raw
  if (typeof containerId !== 'string' || typeof ifName !== 'string' || typeof networkName !== 'string') return undefined
  if (config !== undefined && typeof config !== 'string') return undefined
  if (result !== undefined && result !== null && !isObject(result)) return undefined
  return {
    networkName,
    containerId,
    ifName,
    config: Buffer.from(typeof config === 'string' ? config : '', 'base64'),
    ...(typeof netns === 'string' && netns !== '' ? { netns } : {}),
    ...(isPairList(cniArgs) ? { cniArgs } : {}),
    ...(isObject(capabilityArgs) ? { capabilityArgs } : {}),
    ...(isObject(result) ? { result } : {}),
  }
}

/**
 * readCache reads one attachment's file. A cniCacheV1 file gives the entry; another JSON object
 * is taken as a legacy bare result; empty or non-JSON content is "corrupt" (the caller decides).
 */
export const readCache = async (files: FileHost, cacheDir: string, network: string, containerId: string, ifName: string): Promise<CacheRead> => {
  const path = cachePath(cacheDir, network, containerId, ifName)
  if (tooLong(path, NAME_MAX)) return { kind: 'missing' } // never written: DEL must not fail on ENAMETOOLONG
  let text: string | undefined
  try {
    text = await files.read(path)
  } catch (err) {
    return { kind: 'corrupt', path, reason: (err as Error).message }
  }
  if (text === undefined) return { kind: 'missing' }
  let raw: unknown
  try {
    raw = parseJson(text)
  } catch (err) {
    // never the parser's message: it quotes the file's bytes, and errors are printed
    return { kind: 'corrupt', path, reason: text === '' ? 'empty file' : (err as Error).name === 'JsonDepthError' ? (err as Error).message : 'not valid JSON' }
  }
  if (isObject(raw) && raw.kind === 'cniCacheV1') {
    const entry = parseCacheEntry(raw)
    if (!entry) return { kind: 'corrupt', path, reason: 'malformed cniCacheV1 entry' }
    return { kind: 'ok', entry, ...(entry.result ? { result: entry.result } : {}) }
  }
  if (isObject(raw) && typeof raw.cniVersion === 'string') return { kind: 'ok', result: raw }
  return { kind: 'corrupt', path, reason: 'neither a cniCacheV1 entry nor a result' }
}

/** removeCache deletes one attachment's file (missing is fine). */
export const removeCache = async (files: FileHost, cacheDir: string, network: string, containerId: string, ifName: string): Promise<void> => {
  const path = cachePath(cacheDir, network, containerId, ifName)
  if (!tooLong(path, NAME_MAX)) await files.remove(path)
}

const isValidEntry = (e: CacheEntry): boolean => {
  try {
    checkAttachment({ network: e.networkName, containerId: e.containerId, ifname: e.ifName })
    return true
  } catch {
    return false
  }
}

/**
 * listCachedAttachments returns every readable cniCacheV1 entry under the cache dir (libcni
 * GetCachedAttachments): unreadable files, other kinds and entries whose names are empty, invalid
 * (src/cni/validate.ts) or not the file's own name are skipped; an unreadable dir gives [].
 */
export const listCachedAttachments = async (files: FileHost, cacheDir: string): Promise<CacheEntry[]> => {
  const dir = resultsDir(cacheDir)
  let names: string[]
  try {
    names = await files.list(dir)
  } catch {
    return []
  }
  const out: CacheEntry[] = []
  for (const name of names) {
    try {
      const text = await files.read(join(dir, name))
      const entry = text === undefined ? undefined : parseCacheEntry(parseJson(text))
      // only what an ADD could have written: the names valid and matching the file's own name
      if (entry && isValidEntry(entry) && name === `${entry.networkName}-${entry.containerId}-${entry.ifName}`) out.push(entry)
    } catch {
      // skipped, as libcni does
    }
  }
  return out
}
