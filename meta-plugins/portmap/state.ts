// Small on-disk state under stateDir (tmpfs /run: it lives exactly as long as the nft table):
//   attachments/<chain>         {"localnet":"cni0"} — this attachment has port mappings (and which
//                               interface it turned route_localnet on for); lets a DEL without
//                               portMappings skip all nft work for pods that never had any
//   localnet/<ifname>/<chain>   one marker per user of route_localnet on ifname
//   localnet/<ifname>/.orig     the value found before the first user; restored when the last goes
// Concurrent ADD/DEL on one interface can leave route_localnet at 1 (never wrongly 0 for a live
// user unless a DEL and an ADD race on the same interface); the raw guard keeps 1 safe.
import type { Host } from '../../src/host/types.js'
import { isValidInterfaceName } from '../../src/cni/validate.js'
import type { PlannedStep } from '../../src/plan/types.js'

export interface AttachmentState {
  localnet?: string
}

export const attachmentPath = (dir: string, chain: string): string => `${dir}/attachments/${chain}`
const localnetDir = (dir: string, ifname: string): string => `${dir}/localnet/${ifname}`
const localnetKey = (ifname: string): string => `net/ipv4/conf/${ifname}/route_localnet`

/** readAttachment returns the attachment's state file, or undefined. */
export const readAttachment = async (host: Host, dir: string, chain: string): Promise<AttachmentState | undefined> => {
  const text = await host.files.read(attachmentPath(dir, chain))
  if (text === undefined) return undefined
  try {
    const parsed = JSON.parse(text) as AttachmentState
    return typeof parsed.localnet === 'string' && isValidInterfaceName(parsed.localnet) ? { localnet: parsed.localnet } : {}
  } catch {
    return {}
  }
}

/** routeInterface: the node interface that routes to addr (`ip -j route get`), if any. */
export const routeInterface = async (host: Host, addr: string): Promise<string | undefined> => {
  try {
    const routes = await host.ip.json<{ dev?: string }[]>(['route', 'get', addr])
    const dev = routes[0]?.dev
    return dev !== undefined && isValidInterfaceName(dev) ? dev : undefined
  } catch {
    return undefined
  }
}

/** addStateSteps: write the attachment file; with `localnet`, register as a route_localnet user. */
export const addStateSteps = async (host: Host, dir: string, chain: string, localnet: string | undefined): Promise<PlannedStep[]> => {
  const path = attachmentPath(dir, chain)
  const state: AttachmentState = localnet ? { localnet } : {}
  const steps: PlannedStep[] = [{ kind: 'write-file', path, content: JSON.stringify(state) + '\n', mode: 0o600, undo: [{ kind: 'remove-file', path }] }]
  if (!localnet) return steps
  const ldir = localnetDir(dir, localnet)
  // O(1): only whether the original value is recorded yet, never the list of users
  const orig = await host.files.read(`${ldir}/.orig`)
  const [current] = await host.sysctl.read([localnetKey(localnet)])
  if (current === undefined) return steps
  const marker = `${ldir}/${chain}`
  steps.push({ kind: 'write-file', path: marker, content: '', mode: 0o600, undo: [{ kind: 'remove-file', path: marker }] })
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
export const removeStateSteps = async (host: Host, dir: string, chains: string[]): Promise<PlannedStep[]> => {
  const steps: PlannedStep[] = []
  const byIf = new Map<string, string[]>()
  for (const chain of chains) {
    const st = await readAttachment(host, dir, chain)
    if (st?.localnet) byIf.set(st.localnet, [...(byIf.get(st.localnet) ?? []), chain])
  }
  for (const [ifname, mine] of byIf) {
    const ldir = localnetDir(dir, ifname)
    // the one listing on DEL: are there other users of route_localnet on this interface?
    const entries = await host.files.list(ldir)
    for (const c of mine) steps.push({ kind: 'remove-file', path: `${ldir}/${c}` })
    const others = entries.filter((e) => e !== '.orig' && !mine.includes(e))
    if (others.length === 0) {
      const orig = (await host.files.read(`${ldir}/.orig`))?.trim()
      if (orig === '0' || orig === '1') {
        // the interface may be gone already (ptp veth): not an error
        steps.push({ kind: 'sysctl', key: localnetKey(ifname), value: orig, ignoreFailure: true })
      }
      steps.push({ kind: 'remove-file', path: `${ldir}/.orig` })
    }
  }
  for (const chain of chains) steps.push({ kind: 'remove-file', path: attachmentPath(dir, chain) })
  return steps
}
