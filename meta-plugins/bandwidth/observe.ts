// Reads shared by ADD, CHECK, DEL and GC: the host end of the pod's veth, and a device's qdiscs and
// filters (`tc -j`). prevResult and the pod netns: src/cni/prev-result.ts, src/net/netns.ts.
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import type { Result } from '../../src/cni/types.js'
import { isNotFound, type ReadHost } from '../../src/host/types.js'
import { findVethPeer, type VethPeer } from '../../src/net/link.js'
import type { BandwidthConfig } from './config.js'
import { isBatchSafeName } from './record.js'
import type { TcFilter, TcQdisc } from './tbf.js'

/** why bandwidth needs prevResult (the details of the code 7 error without it) */
export const CHAINED = 'bandwidth must be called as a chained plugin'

/**
 * hostInterfaceNames: the interfaces of a result that live on the host (no sandbox), where the
 * host end of the pod's veth usually is (the bridge plugin lists the bridge and the veth).
 */
export const hostInterfaceNames = (result: Result | undefined): string[] =>
  (result?.interfaces ?? []).filter((i) => !i.sandbox && typeof i.name === 'string').map((i) => i.name)

/**
 * requireHostVeth finds the host end of CNI_IFNAME's veth through the kernel. The result's host
 * interfaces (`candidates`) are only where it looks first, not trusted: each is read by name and
 * must be the veth's peer; when none is, every link is listed (primary plugins such as
 * amazon-vpc-cni long listed no host interface). Anything but a veth whose peer is in this
 * namespace is a clear error: bandwidth shapes on the host end.
 */
export const requireHostVeth = async (host: ReadHost, cfg: BandwidthConfig, candidates: readonly string[]): Promise<VethPeer> => {
  const found = await findVethPeer(host, cfg.ifname, cfg.netns, candidates)
  const where = `${JSON.stringify(cfg.ifname)} in ${JSON.stringify(cfg.netns)}`
  if ('problem' in found) {
    switch (found.problem) {
      case 'no-link':
        throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_IFNAME', `interface ${where} not found`)
      case 'not-veth':
        throw invalidConfig(`bandwidth shapes traffic on the host end of a veth; interface ${where} is ${found.kind ? `a ${found.kind}` : 'not a veth'} (macvlan, ipvlan and host-device interfaces are not supported)`)
      case 'peer-in-pod':
        throw invalidConfig(`the veth peer of ${where} is in the same namespace, not on the host`)
      case 'peer-elsewhere':
        throw invalidConfig(`the veth peer of ${where} (ifindex ${found.peerIfindex}) is not in the namespace bandwidth runs in`)
    }
  }
  if (!isBatchSafeName(found.peer.name)) throw invalidConfig(`host interface name ${JSON.stringify(found.peer.name)} cannot be passed to tc`)
  return found
}

/** readQdiscs returns `tc -j qdisc show dev DEV`, or undefined when the device does not exist. */
export const readQdiscs = async (host: ReadHost, dev: string): Promise<TcQdisc[] | undefined> => {
  try {
    return await host.tc.json<TcQdisc[]>(['qdisc', 'show', 'dev', dev])
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
}

/** readFilters returns the filters of one hook of DEV ([] when there is none, or no device). */
export const readFilters = async (host: ReadHost, dev: string, hook: 'ingress' | 'egress'): Promise<TcFilter[]> => {
  try {
    return await host.tc.json<TcFilter[]>(['filter', 'show', 'dev', dev, hook])
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
}
