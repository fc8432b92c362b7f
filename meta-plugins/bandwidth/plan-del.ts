// DEL: idempotent, no prevResult needed, never blocked by the rate values (they are not needed).
// With a record: its host veth (when a veth of that name and ifindex still exists), clsact flag
// and ifb. Without one (no ADD of ours, or a reference plugin's ADD): the host veth through the
// veth peer when the pod netns is still there (prevResult's host interfaces are read first, when
// DEL has one), and the reference-derived ifb name; our root tbf and filter are recognised by
// their handle and priority, and a clsact we cannot prove is ours stays.
import { requirePrevResult } from '../../src/cni/prev-result.js'
import type { PluginConf } from '../../src/cni/types.js'
import type { ReadHost } from '../../src/host/types.js'
import { findVethPeer } from '../../src/net/link.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { cleanupSteps, hostVethSteps, liveHostVeth, liveIfb, type CleanupTarget } from './cleanup.js'
import { parseBandwidthConfig } from './config.js'
import { ifbName, recordPath } from './names.js'
import { hostInterfaceNames } from './observe.js'
import { parseRecord } from './record.js'

/** planDel returns the DEL plan (empty when nothing of this attachment is left). */
export const planDel = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseBandwidthConfig(req, { rates: false })
  const path = recordPath(cfg.dataDir, cfg.network, cfg.containerId, cfg.ifname)
  const text = await host.files.read(path)
  const record = text === undefined ? undefined : parseRecord(text)
  // the record's path is removed even when absent: that takes a temp file a crash left with it
  const target: CleanupTarget = { clsact: record?.clsact === true, recordPath: path }
  let vethSteps: Promise<PlannedStep[]> | undefined
  if (record) {
    // the recorded veth's qdiscs and filters are read while its identity is checked (reads only;
    // used when it is still that veth, dropped otherwise): one wait less on DEL's way
    vethSteps = hostVethSteps(host, record.hostVeth.name, target.clsact)
    vethSteps.catch(() => undefined) // a failure counts only when the steps are used
    const [veth, ifb] = await Promise.all([liveHostVeth(host, record.hostVeth), liveIfb(host, record.ifb)])
    if (veth) target.hostVeth = { name: veth.name, ifindex: veth.ifindex }
    if (ifb) target.ifb = ifb
  } else {
    const [veth, ifb] = await Promise.all([
      hostVethOf(host, cfg.ifname, cfg.netns, prevHostInterfaces(req.conf)), liveIfb(host, ifbName(cfg.network, cfg.containerId)),
    ])
    if (veth) target.hostVeth = veth
    if (ifb) target.ifb = ifb
  }
  return { steps: await cleanupSteps(host, target, vethSteps) }
}

/** prevHostInterfaces: prevResult's host interfaces, where DEL looks first ([] without a usable prevResult: DEL needs none). */
const prevHostInterfaces = (conf: PluginConf): string[] => {
  try {
    return hostInterfaceNames(requirePrevResult(conf))
  } catch {
    return []
  }
}

/** hostVethOf: the host end of the pod's veth, when the pod netns and the veth still exist. */
const hostVethOf = async (host: ReadHost, ifname: string, netns: string, candidates: string[]): Promise<{ name: string; ifindex: number } | undefined> => {
  if (netns === '' || ifname === '' || !(await host.netns.exists(netns))) return undefined
  const found = await findVethPeer(host, ifname, netns, candidates)
  return 'problem' in found ? undefined : { name: found.peer.name, ifindex: found.peer.ifindex }
}
