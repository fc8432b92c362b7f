// The record: `<dataDir>/<containerID>_<ifname>.json` (0600) holds the original value of every
// attribute an ADD changed (a hashed name when that would be too long, see recordFileName). Its link keys are the reference tuning's (mac, promisc, mtu, allmulti,
// txQLen), so either implementation can restore the other's; `sysctl` (slash path → original
// value) and `network` (for GC) are ours and ignored by the reference.
import { createHash } from 'node:crypto'
import { isObject } from '../../src/cni/keys.js'
import type { FileReader } from '../../src/host/types.js'
import { isSafeSysctlPath } from './sysctl-keys.js'
import { byKey } from '../../src/util/compare.js'

/** TuningRecord is the record file's content. */
export interface TuningRecord {
  mac?: string
  promisc?: boolean
  mtu?: number
  allmulti?: boolean
  txQLen?: number
  sysctl?: Record<string, string>
  /** the network name of the ADD that wrote it (GC only removes its own network's records) */
  network?: string
}

/** RECORD_MODE: the reference's file mode. */
export const RECORD_MODE = 0o600

/**
 * The longest readable record name: a name plus the atomic writer's temporary affixes
 * (`.NAME.tmp-<16 hex>`, 22 bytes) must stay under NAME_MAX (255 bytes), with room to spare.
 */
export const MAX_READABLE_NAME = 200
const NAME_MAX = 255

/** readableName: the reference's record name, `<containerID>_<ifname>.json`. */
const readableName = (containerId: string, ifname: string): string => `${containerId}_${ifname}.json`

/**
 * hashedName: for a container id too long for the readable name, its first 64 characters, `~`
 * (never in a container id, so no readable name looks like this), 128 bits of SHA-256 over the
 * whole (id, ifname) pair, then the interface: at most 118 bytes.
 */
const hashedName = (containerId: string, ifname: string): string => {
  const hash = createHash('sha256').update(`${containerId}\0${ifname}`).digest('hex').slice(0, 32)
  return `${containerId.slice(0, 64)}~${hash}_${ifname}.json`
}

/**
 * recordFileName names one attachment's record: the readable form (the reference's, so either
 * plugin restores what the other recorded) when it is at most MAX_READABLE_NAME bytes, else the
 * hashed form. Always a valid file name, so a DEL can always find and remove it.
 */
export const recordFileName = (containerId: string, ifname: string): string => {
  const readable = readableName(containerId, ifname)
  return Buffer.byteLength(readable) <= MAX_READABLE_NAME ? readable : hashedName(containerId, ifname)
}

/**
 * recordFileNames: every name a record of this attachment may have, the current one first. A long
 * readable name that still fits NAME_MAX may have been written by an older version (or the
 * reference): DEL and GC look for both.
 */
export const recordFileNames = (containerId: string, ifname: string): string[] => {
  const current = recordFileName(containerId, ifname)
  const readable = readableName(containerId, ifname)
  return readable !== current && Buffer.byteLength(readable) <= NAME_MAX ? [current, readable] : [current]
}

/** recordPath is where ADD writes the record of one attachment. */
export const recordPath = (dataDir: string, containerId: string, ifname: string): string =>
  `${dataDir}/${recordFileName(containerId, ifname)}`

/** recordPaths: every path a record of this attachment may have, the current one first. */
export const recordPaths = (dataDir: string, containerId: string, ifname: string): string[] =>
  recordFileNames(containerId, ifname).map((n) => `${dataDir}/${n}`)

/** FoundRecord: a record file's path and text. */
export interface FoundRecord {
  path: string
  text: string
}

/** readRecords returns every record file of the attachment that exists, the current name first. */
export const readRecords = async (files: FileReader, dataDir: string, containerId: string, ifname: string): Promise<FoundRecord[]> => {
  const paths = recordPaths(dataDir, containerId, ifname)
  const texts = await Promise.all(paths.map((p) => files.read(p)))
  return paths.flatMap((path, i) => (texts[i] === undefined ? [] : [{ path, text: texts[i] as string }]))
}

/**
 * parseRecord reads a record, keeping only well-typed fields and sysctl paths confined to
 * /proc/sys/net. Returns undefined when the text is not a JSON object.
 */
export const parseRecord = (text: string): TuningRecord | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(json)) return undefined
  const r: TuningRecord = {}
  if (typeof json.mac === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(json.mac)) r.mac = json.mac.toLowerCase()
  if (typeof json.promisc === 'boolean') r.promisc = json.promisc
  if (isUint(json.mtu) && json.mtu > 0) r.mtu = json.mtu
  if (typeof json.allmulti === 'boolean') r.allmulti = json.allmulti
  if (isUint(json.txQLen)) r.txQLen = json.txQLen
  if (isObject(json.sysctl)) {
    const entries = Object.entries(json.sysctl)
      .filter((e): e is [string, string] => isSafeSysctlPath(e[0]) && typeof e[1] === 'string' && !/[\n\0]/.test(e[1]) && e[1] !== '')
    if (entries.length > 0) r.sysctl = Object.fromEntries(entries)
  }
  if (typeof json.network === 'string') r.network = json.network
  return r
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff

/**
 * mergeRecord keeps what `existing` already recorded (the true originals, from the first ADD) and
 * adds the current values of newly changed attributes from `current`.
 */
export const mergeRecord = (existing: TuningRecord | undefined, current: TuningRecord): TuningRecord => {
  const sysctl = { ...current.sysctl, ...existing?.sysctl }
  const merged: TuningRecord = { ...current, ...existing, network: current.network ?? existing?.network }
  delete merged.sysctl
  if (Object.keys(sysctl).length > 0) merged.sysctl = sortKeys(sysctl)
  if (merged.network === undefined) delete merged.network
  return merged
}

const sortKeys = (o: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).sort(byKey(([k]) => k)))

/** serializeRecord renders the record with a fixed key order (plans compare as JSON). */
export const serializeRecord = (r: TuningRecord): string => {
  const ordered: TuningRecord = {}
  for (const k of ['mac', 'promisc', 'mtu', 'allmulti', 'txQLen', 'sysctl', 'network'] as const) {
    if (r[k] !== undefined) (ordered as Record<string, unknown>)[k] = r[k]
  }
  return JSON.stringify(ordered)
}
