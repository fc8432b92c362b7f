// CHECK: read the attachment's chain (and, for the isolation policies, the bridge's chain and the
// bridge table's chain), the maps its addresses live in, and the backend's accept; compare with
// what ADD would write now. Never lists other chains.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import { listedRules, mapElements } from '../../src/nft/read.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { backendProblems, chooseBackend } from './backend.js'
import { hasAddresses, parseFirewallConfig } from './config.js'
import { BRIDGE_TABLE, CHAIN, MAP, TABLE, isoChainName, podChainName } from './layout.js'
import { ownerOf, requireBridge, requireChained } from './plan.js'
import { bridgePodRules, podRules, type PodRule } from './rules.js'
import { readState } from './state.js'

const failCheck = (details: string): never => {
  throw new CniError(ErrorCode.Internal, 'firewall CHECK failed', details)
}

const sameRules = (have: { expr: unknown[]; comment?: string }[], want: PodRule[]): boolean =>
  have.length === want.length && want.every((w, i) => JSON.stringify(have[i]?.expr) === JSON.stringify(w.expr) && (have[i]?.comment ?? undefined) === w.comment)

const listChain = async (host: ReadHost, t: typeof TABLE, chain: string) => {
  const objs = await host.nft.list(['chain', t.family, t.table, chain])
  return objs ? listedRules(objs, chain) : failCheck(`chain ${t.family} ${t.table} ${chain} is missing`)
}

const checkElements = async (host: ReadHost, t: typeof TABLE, chain: string, addrs: { v4: string[]; v6: string[] }): Promise<void> => {
  for (const [map, list] of [[MAP.v4, addrs.v4], [MAP.v6, addrs.v6]] as const) {
    if (list.length === 0) continue
    const elems = mapElements((await host.nft.list(['map', t.family, t.table, map])) ?? [], map)
    for (const addr of list) {
      if (!elems.some((e) => String(e.key[0]) === addr && e.target === chain)) failCheck(`${t.family} ${t.table}: ${addr} does not point at ${chain}`)
    }
  }
}

/** checkFirewall throws a CniError naming the first difference from what ADD would have made. */
export const checkFirewall = async (req: PluginRequest, host: ReadHost): Promise<void> => {
  requireChained(req)
  const cfg = parseFirewallConfig(req.conf)
  if (!hasAddresses(cfg)) return
  const bridge = requireBridge(cfg)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const addrs = { v4: cfg.v4, v6: cfg.v6 }

  const dispatch = await listChain(host, TABLE, CHAIN.forward)
  if (dispatch.length !== 4) failCheck(`chain ${TABLE.table} ${CHAIN.forward} has ${dispatch.length} rules, expected 4`)
  if (!sameRules(await listChain(host, TABLE, chain), podRules(addrs, cfg.policy, bridge, cfg.mark, owner))) {
    failCheck(`chain ${TABLE.table} ${chain} differs from what ADD writes`)
  }
  await checkElements(host, TABLE, chain, addrs)
  if (bridge !== undefined) {
    const iso = await listChain(host, TABLE, isoChainName(bridge))
    if (iso.length !== 2) failCheck(`isolation chain ${isoChainName(bridge)} has ${iso.length} rules, expected 2`)
    const isolated = mapElements((await host.nft.list(['map', TABLE.family, TABLE.table, MAP.isolated])) ?? [], MAP.isolated)
    if (!isolated.some((e) => e.key[0] === bridge)) failCheck(`bridge ${bridge} is not in map ${MAP.isolated}`)
  }
  if (cfg.policy === 'isolated') {
    if (!sameRules(await listChain(host, BRIDGE_TABLE, chain), bridgePodRules(owner))) failCheck(`chain bridge ${BRIDGE_TABLE.table} ${chain} differs from what ADD writes`)
    await checkElements(host, BRIDGE_TABLE, chain, addrs)
  }
  const state = await readState(host, cfg.stateDir, chain)
  const backend = state?.backend ?? (await chooseBackend(cfg, host))
  const problems = await backendProblems(backend, { ...cfg, zone: state?.zone ?? cfg.zone }, addrs, host)
  if (problems.length > 0) failCheck(`backend ${backend}: ${problems.join('; ')}`)
}
