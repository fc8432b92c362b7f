// The record: `<dataDir>/<containerID>_<ifname>.json` (0600) holds the original value of every
// attribute an ADD changed. Its link keys are the reference tuning's (mac, promisc, mtu, allmulti,
// txQLen), so either implementation can restore the other's; `sysctl` (slash path → original
// value) and `network` (for GC) are ours and ignored by the reference.
import { isObject } from '../../src/cni/keys.js'
import { isSafeSysctlPath } from './sysctl-keys.js'

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

/** recordPath names the record of one attachment. */
export const recordPath = (dataDir: string, containerId: string, ifname: string): string =>
  `${dataDir}/${containerId}_${ifname}.json`

/** recordFileName is recordPath's last component (what GC compares). */
export const recordFileName = (containerId: string, ifname: string): string => `${containerId}_${ifname}.json`

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
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** serializeRecord renders the record with a fixed key order (plans compare as JSON). */
export const serializeRecord = (r: TuningRecord): string => {
  const ordered: TuningRecord = {}
  for (const k of ['mac', 'promisc', 'mtu', 'allmulti', 'txQLen', 'sysctl', 'network'] as const) {
    if (r[k] !== undefined) (ordered as Record<string, unknown>)[k] = r[k]
  }
  return JSON.stringify(ordered)
}
