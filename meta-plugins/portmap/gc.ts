// GC (CNI 1.1): the one table-wide read. Removes this network's pod chains that are not valid
// attachments (with their elements and state), the shared port chains no pod chain references any
// more, and what portmap v1 left (table inet cni_portmap_v1: maps anyip/hostip4/hostip6 → pm-
// chains; pod chain names and state files are the same in both versions). DEL never looks at v1:
// a v1 pod's chain stays until GC, which deletes the v1 table once no pod chain is left in it.
// No list at all removes nothing (the one GC rule, src/cni/gc.ts).
import { keepEverything, validAttachments } from '../../src/cni/gc.js'
import type { ReadHost } from '../../src/host/types.js'
import { del, tableObj } from '../../src/nft/build.js'
import { removeChain, staleChains, type AttachmentChains } from '../../src/nft/ownership.js'
import { jumpTargets, listedChains, listedRules, mapElements } from '../../src/nft/read.js'
import type { NftObject } from '../../src/nft/types.js'
import { emptyPlan, type Plan, type PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parsePortmapConfig, type PortmapConfig } from './config.js'
import { LEGACY_MAPS, LEGACY_TABLE, TABLE, isPodChainName, parseOwnerComment, parseSharedChainName, podChainName } from './layout.js'
import { dispatchElements, elementsOf, readIpvs, sharedReleaseSteps } from './plan.js'
import { ipvsRefreshCommands, podDeleteCommands } from './rules.js'
import { removeStateSteps } from './state.js'

const TABLE_ARGS = ['table', TABLE.family, TABLE.table]

/** the attachment chains of portmap (pm-…), for the shared GC rule (src/nft/ownership.ts staleChains) */
const POD_CHAINS: AttachmentChains = { isChain: isPodChainName, networkOf: (c) => parseOwnerComment(c).network }

/**
 * planGc: one table listing. Removes this network's chains (and their elements) not in the valid
 * list, the shared port chains no pod chain references any more, what an older version left in
 * cni_portmap_v1, and refreshes the kube-ipvs0 sets.
 */
export const planGc = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parsePortmapConfig(req.conf, '')
  const list = validAttachments(req.conf)
  if (list === undefined) return keepEverything()
  const valid = new Set(list.map((a) => podChainName(cfg.network, a.containerID, a.ifname)))
  const steps: PlannedStep[] = []
  const objs = await host.nft.list(TABLE_ARGS)
  if (objs) {
    const stale = staleChains(objs, POD_CHAINS, cfg.network, valid, new Set(dispatchElements(objs).map((e) => e.target)))
    const live = listedChains(objs).filter((c) => !stale.includes(c))
    const stillReferenced = new Set(live.flatMap((c) => listedRules(objs, c).flatMap(jumpTargets)))
    const unreferenced = listedChains(objs).filter((c) => parseSharedChainName(c) && !stillReferenced.has(c))
    if (stale.length > 0) steps.push({ kind: 'nft', batch: stale.flatMap((chain) => podDeleteCommands(chain, elementsOf(objs, chain))) })
    steps.push(...sharedReleaseSteps(unreferenced))
    const ipvs = await readIpvs(host)
    if (ipvs) steps.push({ kind: 'nft', batch: ipvsRefreshCommands(ipvs), ignoreFailure: true })
    steps.push(...(await removeStateSteps(host, cfg.stateDir, stale)))
  }
  const legacy = await legacyGcSteps(host, cfg, valid)
  steps.push(...legacy.steps, ...(await removeStateSteps(host, cfg.stateDir, legacy.chains)))
  return steps.length > 0 ? { steps } : emptyPlan()
}

/** legacyGcSteps: best-effort removal of this network's stale v1 chains; the v1 table when none is left. */
export const legacyGcSteps = async (host: ReadHost, cfg: Pick<PortmapConfig, 'network'>, valid: Set<string>): Promise<{ steps: PlannedStep[]; chains: string[] }> => {
  const objs = await host.nft.list(['table', LEGACY_TABLE.family, LEGACY_TABLE.table]).catch(() => undefined)
  if (!objs) return { steps: [], chains: [] }
  const elems = LEGACY_MAPS.flatMap((map) => mapElements(objs, map).map((e) => ({ map, key: e.key, target: e.target })))
  const stale = staleChains(objs, POD_CHAINS, cfg.network, valid, new Set(elems.flatMap((e) => (e.target ? [e.target] : []))))
  const steps: PlannedStep[] = []
  if (stale.length > 0) {
    const batch = stale.flatMap((chain) => removeChain(LEGACY_TABLE, chain,
      LEGACY_MAPS.map((map) => ({ map, keys: elems.filter((e) => e.map === map && e.target === chain).map((e) => e.key) }))))
    steps.push({ kind: 'nft', batch, ignoreFailure: true })
  }
  // no pod chain left: the table's hooks would only cost every packet a lookup
  if (listedChains(objs).filter(isPodChainName).every((c) => stale.includes(c))) {
    steps.push({ kind: 'nft', batch: [del(tableObj(LEGACY_TABLE))], ignoreFailure: true })
  }
  return { steps, chains: stale }
}
