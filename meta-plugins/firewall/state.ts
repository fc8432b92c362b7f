// One small file per attachment under stateDir (tmpfs /run by default: it lives as long as the nft
// tables): attachments/<chain> records what ADD did — the addresses, the bridge, the policy and the
// backend — so DEL undoes exactly that without prevResult and without reading nft (the reference
// plugin leaks its rules then). When the file is missing, DEL falls back to prevResult, then to
// the attachment chain itself (its rules name the addresses, the bridge and the policy).
import { isIPv4, isIPv6 } from 'node:net'
import { isValidInterfaceName } from '../../src/cni/validate.js'
import type { ReadHost } from '../../src/host/types.js'
import type { PlannedStep } from '../../src/plan/types.js'
import type { Backend } from './config.js'
import type { IngressPolicy } from './layout.js'

export interface AttachmentState {
  v4: string[]
  v6: string[]
  policy: IngressPolicy
  bridge?: string
  backend: Backend
  /** the firewalld zone (backend firewalld) */
  zone?: string
}

export const statePath = (dir: string, chain: string): string => `${dir}/attachments/${chain}`

const POLICIES: readonly string[] = ['open', 'same-bridge', 'isolated']
const BACKENDS: readonly string[] = ['iptables', 'firewalld', 'nftables']

/** parseState checks a state file's content; undefined when it is not one we wrote. */
export const parseState = (text: string): AttachmentState | undefined => {
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch {
    return undefined
  }
  const addrs = (v: unknown, ok: (s: string) => boolean): string[] | undefined =>
    Array.isArray(v) && v.every((a) => typeof a === 'string' && ok(a)) ? (v as string[]) : undefined
  const v4 = addrs(raw.v4, isIPv4)
  const v6 = addrs(raw.v6, (a) => isIPv6(a) && !a.includes('%'))
  const { policy, backend, bridge, zone } = raw
  if (!v4 || !v6 || typeof policy !== 'string' || !POLICIES.includes(policy) || typeof backend !== 'string' || !BACKENDS.includes(backend)) return undefined
  if (bridge !== undefined && (typeof bridge !== 'string' || !isValidInterfaceName(bridge) || /["\\]/.test(bridge))) return undefined
  if (zone !== undefined && (typeof zone !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_+-]{0,16}$/.test(zone))) return undefined
  return {
    v4, v6, policy: policy as IngressPolicy, backend: backend as Backend,
    ...(bridge !== undefined ? { bridge: bridge as string } : {}),
    ...(zone !== undefined ? { zone: zone as string } : {}),
  }
}

/** readState returns the attachment's recorded state, or undefined. */
export const readState = async (host: ReadHost, dir: string, chain: string): Promise<AttachmentState | undefined> => {
  const text = await host.files.read(statePath(dir, chain))
  return text === undefined ? undefined : parseState(text)
}

/** writeStateStep records the attachment (undone by removing the file). */
export const writeStateStep = (dir: string, chain: string, state: AttachmentState): PlannedStep => {
  const path = statePath(dir, chain)
  return { kind: 'write-file', path, content: JSON.stringify(state) + '\n', mode: 0o600, undo: [{ kind: 'remove-file', path }] }
}

/** removeStateStep forgets the attachment (a missing file is fine). */
export const removeStateStep = (dir: string, chain: string): PlannedStep => ({ kind: 'remove-file', path: statePath(dir, chain) })
