// CHECK: read the attachment's one chain and the maps its keys live in; compare with what ADD
// would write now. Never lists other chains.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import { listedRules, mapElements } from '../../src/nft/read.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parsePortmapConfig } from './config.js'
import { TABLE, claimsOf, keyString, podChainName } from './layout.js'
import { ownerOf, requireChained } from './plan.js'
import { activeMappings, podRules } from './rules.js'

const failCheck = (details: string): never => {
  throw new CniError(ErrorCode.Internal, 'portmap CHECK failed', details)
}

/** checkPortmap throws a CniError naming the first difference from what ADD would have made. */
export const checkPortmap = async (req: PluginRequest, host: ReadHost): Promise<void> => {
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
  // every element the keys need must be there with the right target (one listing per map)
  const claims = active.flatMap((m) => claimsOf(m, chain).map((c) => ({ ...c, m })))
  for (const mapName of new Set(claims.map((c) => c.map))) {
    const elems = mapElements((await host.nft.list(['map', TABLE.family, TABLE.table, mapName])) ?? [], mapName)
    for (const c of claims.filter((x) => x.map === mapName)) {
      const e = elems.find((x) => JSON.stringify(x.key) === JSON.stringify(c.key))
      if (e?.target !== c.target) failCheck(`host port ${keyString(c.m)}: ${mapName} element ${c.key.join(' . ')} points at ${e?.target ?? 'nothing'}, not ${c.target}`)
    }
  }
}
