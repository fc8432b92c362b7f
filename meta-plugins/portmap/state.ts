// Small on-disk state under stateDir (tmpfs /run: it lives exactly as long as the nft table):
//   attachments/<chain>         {"localnet":"cni0"} or {"localnet":null} — this attachment has port
//                               mappings (and which interface it turned route_localnet on for);
//                               written BEFORE the nft transaction, so a crash in between leaves a
//                               record; lets a DEL without portMappings skip all nft work for pods
//                               that never had any. A record that is not exactly this shape is not
//                               trusted: its localnet markers are searched for instead
//   localnet/<ifname>/<chain>   one marker per user of route_localnet on ifname
//   localnet/<ifname>/.orig     the value found before the first user; restored when the last goes
// Concurrent DELs on one interface decide the last user at apply time, after each removed its own
// marker (a guarded step, src/plan/types.ts onlyIfDirHolds), so exactly the last restores the
// original. A DEL racing an ADD on the same interface can still leave 1 (the raw guard keeps 1 safe).
import type { ReadHost } from '../../src/host/types.js'
import { isValidInterfaceName } from '../../src/cni/validate.js'
import type { PlannedStep } from '../../src/plan/types.js'

export interface AttachmentState {
  localnet?: string
  /** false: the file is unreadable or not in the expected shape, so `localnet` is unknown */
  trusted: boolean
}

export const attachmentPath = (dir: string, chain: string): string => `${dir}/attachments/${chain}`
const localnetDir = (dir: string, ifname: string): string => `${dir}/localnet/${ifname}`
const localnetKey = (ifname: string): string => `net/ipv4/conf/${ifname}/route_localnet`

/** parseAttachment reads a record's text; anything but {"localnet": IFNAME|null} is untrusted. */
export const parseAttachment = (text: string): AttachmentState => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { trusted: false }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.hasOwn(parsed, 'localnet')) return { trusted: false }
  const localnet = (parsed as { localnet: unknown }).localnet
  if (localnet === null) return { trusted: true }
  return typeof localnet === 'string' && isValidInterfaceName(localnet) && localnet !== '.orig' ? { localnet, trusted: true } : { trusted: false }
}

/** readAttachment returns the attachment's state file, or undefined when there is none. */
export const readAttachment = async (host: ReadHost, dir: string, chain: string): Promise<AttachmentState | undefined> => {
  const text = await host.files.read(attachmentPath(dir, chain))
  return text === undefined ? undefined : parseAttachment(text)
}

/** attachmentRecord: the record's content. */
export const attachmentRecord = (localnet: string | undefined): string => `${JSON.stringify({ localnet: localnet ?? null })}\n`

/**
 * recordStep writes the attachment's record; its undo puts back what was there (a failed re-ADD
 * must not lose the record of a live attachment) or removes it.
 */
export const recordStep = (dir: string, chain: string, localnet: string | undefined, previous: string | undefined): PlannedStep => {
  const path = attachmentPath(dir, chain)
  return {
    kind: 'write-file', path, content: attachmentRecord(localnet), mode: 0o600,
    undo: [previous === undefined ? { kind: 'remove-file', path } : { kind: 'write-file', path, content: previous, mode: 0o600 }],
  }
}

/**
 * findMarkers: the interfaces under localnet/ holding a marker for chain. Only for an untrusted
 * record (O(interfaces with route_localnet users)).
 */
const findMarkers = async (host: ReadHost, dir: string, chain: string): Promise<string[]> => {
  const found: string[] = []
  for (const ifname of await host.files.list(`${dir}/localnet`)) {
    if (!isValidInterfaceName(ifname)) continue
    if ((await host.files.read(`${localnetDir(dir, ifname)}/${chain}`)) !== undefined) found.push(ifname)
  }
  return found
}

/** routeInterface: the node interface that routes to addr (`ip -j route get`), if any. */
export const routeInterface = async (host: ReadHost, addr: string): Promise<string | undefined> => {
  try {
    const routes = await host.ip.json<{ dev?: string }[]>(['route', 'get', addr])
    const dev = routes[0]?.dev
    return dev !== undefined && isValidInterfaceName(dev) ? dev : undefined
  } catch {
    return undefined
  }
}

/** localnetSteps: with `localnet`, register as a route_localnet user (after the record and the nft change). */
export const localnetSteps = async (host: ReadHost, dir: string, chain: string, localnet: string | undefined): Promise<PlannedStep[]> => {
  const steps: PlannedStep[] = []
  if (!localnet) return steps
  const ldir = localnetDir(dir, localnet)
  // O(1): only whether the original value is recorded yet, never the list of users
  const orig = await host.files.read(`${ldir}/.orig`)
  const [current] = await host.sysctl.read([localnetKey(localnet)])
  if (current === undefined) return steps
  const marker = `${ldir}/${chain}`
  // undone after the .orig and sysctl steps below: the directory goes too when no other user is in
  // it, so a rolled-back ADD (the chain plugin's) leaves no empty localnet/<if>/ behind
  steps.push({ kind: 'write-file', path: marker, content: '', mode: 0o600, undo: [{ kind: 'remove-file', path: marker }, { kind: 'remove-dir', path: ldir }] })
  if (orig === undefined) {
    steps.push({ kind: 'write-file', path: `${ldir}/.orig`, content: current.trim(), mode: 0o600, undo: [{ kind: 'remove-file', path: `${ldir}/.orig` }] })
  }
  if (current.trim() !== '1') {
    steps.push({ kind: 'sysctl', key: localnetKey(localnet), value: '1', undo: [{ kind: 'sysctl', key: localnetKey(localnet), value: current.trim() }] })
  }
  return steps
}

/**
 * removeStateSteps: forget the attachments in `chains` (all on one call so GC can drop several);
 * when they were the last route_localnet users of an interface, restore its original value.
 */
export const removeStateSteps = async (host: ReadHost, dir: string, chains: string[]): Promise<PlannedStep[]> => {
  const steps: PlannedStep[] = []
  const byIf = new Map<string, string[]>()
  for (const chain of chains) {
    const st = await readAttachment(host, dir, chain)
    if (!st) continue
    // garbage in the record must not leak the marker (route_localnet would stay 1 for good)
    const ifnames = st.trusted ? (st.localnet ? [st.localnet] : []) : await findMarkers(host, dir, chain)
    for (const ifname of ifnames) byIf.set(ifname, [...(byIf.get(ifname) ?? []), chain])
  }
  for (const [ifname, mine] of byIf) {
    const ldir = localnetDir(dir, ifname)
    for (const c of mine) steps.push({ kind: 'remove-file', path: `${ldir}/${c}` })
    // who is last is decided at apply time, after our markers are gone: two DELs that each saw
    // the other's marker in a listing made before would both leave route_localnet at 1
    const last = { dir: ldir, entries: ['.orig'] }
    const orig = (await host.files.read(`${ldir}/.orig`))?.trim()
    if (orig === '0' || orig === '1') {
      // the interface may be gone already (ptp veth): not an error
      steps.push({ kind: 'sysctl', key: localnetKey(ifname), value: orig, ignoreFailure: true, onlyIfDirHolds: last })
    }
    steps.push({ kind: 'remove-file', path: `${ldir}/.orig`, onlyIfDirHolds: last })
    // one directory per host interface ever used (one per pod with ptp): it goes with its last user
    steps.push({ kind: 'remove-dir', path: ldir })
  }
  for (const chain of chains) steps.push({ kind: 'remove-file', path: attachmentPath(dir, chain) })
  return steps
}
