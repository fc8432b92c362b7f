// CHECK: read the attachment's one chain and the maps its keys live in; compare with what ADD
// would write now. Never lists other chains.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { Host } from '../../src/host/types.js'
import { listedRules } from '../../src/nft/read.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parsePortmapConfig } from './config.js'
import { TABLE, keyString, mapOfKey, podChainName } from './layout.js'
import { elementsOf, ownerOf, requireChained } from './plan.js'
import { activeMappings, podRules } from './rules.js'

const failCheck = (details: string): never => {
  throw new CniError(ErrorCode.Internal, 'portmap CHECK failed', details)
}

/** checkPortmap throws a CniError naming the first difference from what ADD would have made. */
export const checkPortmap = async (req: PluginRequest, host: Host): Promise<void> => {
  requireChained(req)
  const cfg = parsePortmapConfig(req.conf, req.env.ifname)
  const active = activeMappings(cfg)
  if (active.length === 0) return
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(['chain', TABLE.family, TABLE.table, chain])
  if (!objs) return failCheck(`chain ${TABLE.table} ${chain} is missing`)
  const have = listedRules(objs, chain)
  const want = podRules(cfg, owner)
  if (have.length !== want.length) return failCheck(`chain ${chain} has ${have.length} rules, expected ${want.length}`)
  for (const w of want.filter((r) => r.comment !== undefined)) {
    const dnat = JSON.stringify(w.expr.at(-1))
    if (!have.some((h) => h.comment === w.comment && JSON.stringify(h.expr.at(-1)) === dnat)) {
      return failCheck(`chain ${chain} lacks the DNAT rule "${w.comment}" → ${dnat}`)
    }
  }
  for (const mapName of new Set(active.map(mapOfKey))) {
    const mapObjs = (await host.nft.list(['map', TABLE.family, TABLE.table, mapName])) ?? []
    const mine = new Set(elementsOf(mapObjs, chain).map(keyString))
    for (const m of active.filter((k) => mapOfKey(k) === mapName)) {
      if (!mine.has(keyString(m))) failCheck(`host port ${keyString(m)} does not point at ${chain}`)
    }
  }
}
