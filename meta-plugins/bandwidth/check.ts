// CHECK: what ADD made is in place: the host end found through the pod's veth; into the pod, our
// root tbf on it with the configured rate and burst; out of the pod, the ifb (recorded, or the
// derived name) with our tbf at the configured rate and burst, and our redirect to it on the host
// veth's ingress hook. Nothing configured → nothing to check (the reference crashed there, #1221).
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseBandwidthConfig, type BandwidthConfig, type Shaping } from './config.js'
import { ifbName, recordPath } from './names.js'
import { CHAINED, hostInterfaceNames, readFilters, readQdiscs, requireHostVeth } from './observe.js'
import { parseRecord } from './record.js'
import { FILTER_PREF, burstMatches, filtersAt, isOurRedirect, rootState, tbfParams, type TcQdisc } from './tbf.js'
import { requirePrevResult } from '../../src/cni/prev-result.js'
import { requireNetns } from '../../src/net/netns.js'
import { readLinkInfo, type LinkInfo } from '../../src/net/link.js'

/** checkBandwidth throws a code 100 CniError naming the first difference. */
export const checkBandwidth = async (req: PluginRequest, host: ReadHost): Promise<void> => {
  const cfg = parseBandwidthConfig(req)
  const prev = requirePrevResult(req.conf, CHAINED)
  if (!cfg.ingress && !cfg.egress) return
  await requireNetns(host, cfg.netns)
  // everything is read first (concurrently where one read does not need another's answer), then
  // compared in a fixed order, so the first difference reported does not depend on timing
  const [{ peer: veth }, egress] = await Promise.all([
    requireHostVeth(host, cfg, hostInterfaceNames(prev)),
    cfg.egress ? readEgressSide(host, cfg) : undefined,
  ])
  const [vethQdiscs, filters] = await Promise.all([
    cfg.ingress ? readQdiscs(host, veth.name) : undefined, cfg.egress ? readFilters(host, veth.name, 'ingress') : [],
  ])
  if (cfg.ingress) compareTbf(`${veth.name} (into the pod)`, vethQdiscs ?? [], cfg.ingress, veth.mtu)
  if (cfg.egress && egress) {
    const { ifb, link, qdiscs } = egress
    if (link?.kind !== 'ifb') fail(`ifb ${ifb} does not exist`)
    compareTbf(`${ifb} (out of the pod)`, qdiscs ?? [], cfg.egress, veth.mtu)
    const atPref = filtersAt(filters, FILTER_PREF)
    if (!isOurRedirect(atPref, ifb)) fail(`no redirect from ${veth.name} to ${ifb} (filter priority ${FILTER_PREF} on its ingress hook)`)
  }
}

/** readEgressSide: the ifb (recorded, or the derived name), read by name, and its qdiscs. */
const readEgressSide = async (host: ReadHost, cfg: BandwidthConfig): Promise<{ ifb: string; link: LinkInfo | undefined; qdiscs: TcQdisc[] | undefined }> => {
  const text = await host.files.read(recordPath(cfg.dataDir, cfg.network, cfg.containerId, cfg.ifname))
  const ifb = (text === undefined ? undefined : parseRecord(text))?.ifb ?? ifbName(cfg.network, cfg.containerId)
  const [link, qdiscs] = await Promise.all([readLinkInfo(host, ifb, undefined), readQdiscs(host, ifb)])
  return { ifb, link, qdiscs }
}

const compareTbf = (where: string, qdiscs: TcQdisc[], s: Shaping, mtu: number): void => {
  const want = tbfParams(s, mtu)
  const root = rootState(qdiscs)
  if (root.state !== 'ours') return fail(`${where}: no bandwidth tbf at the root (found ${root.state === 'none' ? 'none' : root.kind})`)
  if (root.params.rate !== want.rate) fail(`${where}: tbf rate is ${root.params.rate * 8} bits/s, configured ${want.rate * 8}`)
  if (!burstMatches(root.params.burst, want)) fail(`${where}: tbf burst is ${root.params.burst} bytes, configured ${want.burst}`)
}

const fail = (details: string): never => {
  throw new CniError(ErrorCode.PluginSpecific, 'bandwidth check failed', details)
}
