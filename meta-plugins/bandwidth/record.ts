// The record: `<dataDir>/<network>:<containerID>:<ifname>.json` (0600), written before any change
// and removed after the last one, says what ADD made, so DEL and GC remove exactly that:
//  - hostVeth: the host end (name and ifindex: a veth re-created under the same name is not ours);
//  - rootTbf: our tbf is the root qdisc of hostVeth;
//  - ifb: the ifb we created (its name may not be the first candidate, see names.ts);
//  - clsact: true when WE added the clsact qdisc (DEL removes it only then, and only when no
//    filter of anyone else is left on it); false when we found one (or an ingress qdisc) there.
import { isObject } from '../../src/cni/keys.js'
import { isValidInterfaceName } from '../../src/cni/validate.js'

export interface BandwidthRecord {
  network: string
  containerId: string
  ifname: string
  hostVeth: { name: string; ifindex: number }
  rootTbf: boolean
  ifb?: string
  clsact?: boolean
}

export const RECORD_MODE = 0o600

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 0x7fffffff
/** names that reach tc/ip batches: what the kernel allows minus what a batch line cannot carry */
export const isBatchSafeName = (v: unknown): v is string => typeof v === 'string' && isValidInterfaceName(v) && !/["'\\#]/.test(v)

/** parseRecord reads a record, or undefined when it is not one (then DEL falls back to the derived names). */
export const parseRecord = (text: string): BandwidthRecord | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isObject(json) || !isObject(json.hostVeth)) return undefined
  const { network, containerId, ifname, hostVeth, rootTbf, ifb, clsact } = json
  if (typeof network !== 'string' || typeof containerId !== 'string' || typeof ifname !== 'string') return undefined
  if (!isBatchSafeName(hostVeth.name) || !isIndex(hostVeth.ifindex) || typeof rootTbf !== 'boolean') return undefined
  if (ifb !== undefined && !isBatchSafeName(ifb)) return undefined
  if (clsact !== undefined && typeof clsact !== 'boolean') return undefined
  return {
    network, containerId, ifname, hostVeth: { name: hostVeth.name, ifindex: hostVeth.ifindex }, rootTbf,
    ...(ifb !== undefined ? { ifb } : {}), ...(clsact !== undefined ? { clsact } : {}),
  }
}

/** serializeRecord renders the record with a fixed key order (plans compare as JSON). */
export const serializeRecord = (r: BandwidthRecord): string => JSON.stringify({
  network: r.network, containerId: r.containerId, ifname: r.ifname, hostVeth: { name: r.hostVeth.name, ifindex: r.hostVeth.ifindex },
  rootTbf: r.rootTbf, ...(r.ifb !== undefined ? { ifb: r.ifb } : {}), ...(r.clsact !== undefined ? { clsact: r.clsact } : {}),
})
