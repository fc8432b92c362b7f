// ADD, DEL and GC plans. ADD and DEL find the attachment's objects by name and map key only (no
// listing on their usual paths). Step order is chosen so the `chain` plugin can merge our nft
// transaction with a neighbour's (it merges one plan's last step with the next plan's first when
// both are required nft steps):
//   ADD = [ONE nft transaction, backend steps where missing, state file]      (nft first: after portmap)
//   DEL = [state file, firewalld sources, ONE nft transaction, then — isolation policies only — the
//          bridge's isolation removal, EBUSY while other pods use it: ignored]  (nft last: before portmap)
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import { keepEverything, validAttachments } from '../../src/cni/gc.js'
import { isObject } from '../../src/cni/keys.js'
import type { ReadHost } from '../../src/host/types.js'
import { chainObj, del } from '../../src/nft/build.js'
import { staleChains, type AttachmentChains } from '../../src/nft/ownership.js'
import { jumpTargets, listedChains, listedRules, mapElements, type ListedRule } from '../../src/nft/read.js'
import type { NftCommand, NftObject } from '../../src/nft/types.js'
import { emptyPlan, type Plan, type PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { backendAddSteps, backendDelSteps, chooseBackend } from './backend.js'
import { hasAddresses, parseFirewallConfig, type Backend, type FirewallConfig } from './config.js'
import {
  BRIDGE_TABLE, MAP, TABLE, bridgeOfIsoChain, isPodChainName, isoChainName, parseOwnerComment, podChainName,
  type IngressPolicy, type Owner,
} from './layout.js'
import { chainReleaseCommands, isolationRemoveCommands, podAddCommands, podAddFastCommands, podRemoveCommands, type PodAddrs } from './rules.js'
import { readState, removeStateStep, writeStateStep, type AttachmentState } from './state.js'

const tableArgs = (t: typeof TABLE): string[] => ['table', t.family, t.table]

/** ownerOf: the attachment identity of a request. */
export const ownerOf = (req: PluginRequest): Owner => ({ network: req.conf.name, containerId: req.env.containerId, ifname: req.env.ifname })

/** requireChained: ADD and CHECK need prevResult (the pod's addresses). */
export const requireChained = (req: PluginRequest): void => {
  if (!isObject(req.conf.prevResult)) throw new CniError(ErrorCode.InvalidConfig, 'must be called as chained plugin', 'firewall needs prevResult (the pod addresses)')
}

/** requireBridge: the isolation policies need the bridge (prevResult.interfaces[0]). */
export const requireBridge = (cfg: FirewallConfig): string | undefined => {
  if (cfg.policy === 'open') return undefined
  if (cfg.bridge === undefined) throw invalidConfig(`ingressPolicy ${cfg.policy} needs the bridge: make sure to chain "firewall" after the "bridge" plugin (prevResult has no interfaces)`)
  return cfg.bridge
}

/** planAdd: see the file comment. */
export const planAdd = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  requireChained(req)
  const cfg = parseFirewallConfig(req.conf)
  const result = cfg.prevResult ?? { cniVersion: req.conf.cniVersion }
  if (!hasAddresses(cfg)) return emptyPlan(result)
  const bridge = requireBridge(cfg)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const addrs: PodAddrs = { v4: cfg.v4, v6: cfg.v6 }
  const backend = await chooseBackend(cfg, host)
  const state: AttachmentState = {
    v4: cfg.v4, v6: cfg.v6, policy: cfg.policy, backend,
    ...(bridge !== undefined ? { bridge } : {}),
    ...(backend === 'firewalld' ? { zone: cfg.zone } : {}),
  }
  const steps: PlannedStep[] = [
    {
      kind: 'nft',
      batch: podAddCommands(chain, addrs, cfg.policy, bridge, cfg.mark, owner),
      fast: podAddFastCommands(chain, addrs, cfg.policy, bridge, cfg.mark, owner),
      // the bridge's isolation chain goes too unless another pod still jumps to it (EBUSY: kept)
      undo: [
        { kind: 'nft', batch: podRemoveCommands(chain, addrs, cfg.policy === 'isolated') },
        ...(cfg.policy !== 'open' && bridge !== undefined ? [{ kind: 'nft' as const, batch: isolationRemoveCommands(bridge), inUseIsFine: true as const }] : []),
      ],
    },
    ...(await backendAddSteps(backend, cfg.backend !== undefined, cfg, addrs, host)),
    writeStateStep(cfg.stateDir, chain, state),
  ]
  return { steps, result }
}

/** What an attachment chain says about itself: its addresses, bridge and policy. */
export interface ChainFacts extends PodAddrs {
  bridge?: string
  policy?: IngressPolicy
}

/** chainFacts reads an attachment chain's rules (DEL without state or prevResult, GC). */
export const chainFacts = (rules: readonly ListedRule[]): ChainFacts => {
  const v4 = new Set<string>()
  const v6 = new Set<string>()
  const facts: ChainFacts = { v4: [], v6: [] }
  for (const r of rules) {
    for (const e of r.expr) {
      const m = (e as { match?: { left?: { payload?: { protocol?: string; field?: string } }; right?: unknown } }).match
      const p = m?.left?.payload
      if (p && p.field === 'saddr' && typeof m?.right === 'string') (p.protocol === 'ip6' ? v6 : v4).add(m.right)
      const target = (e as { jump?: { target?: string } }).jump?.target
      const bridge = target !== undefined ? bridgeOfIsoChain(target) : undefined
      if (bridge !== undefined) facts.bridge = bridge
    }
    const policy = r.comment !== undefined ? parseOwnerComment(r.comment).policy : undefined
    if (policy) facts.policy = policy
  }
  return { ...facts, v4: [...v4], v6: [...v6] }
}

/** delSteps: removal of what `facts` describe (order: see the file comment). */
const delSteps = (cfg: FirewallConfig, chain: string, facts: ChainFacts, backend: Backend | undefined, zone: string): PlannedStep[] => {
  const policy = facts.policy ?? 'open'
  return [
    removeStateStep(cfg.stateDir, chain),
    ...(backend ? backendDelSteps(backend, zone, facts) : []),
    { kind: 'nft', batch: podRemoveCommands(chain, facts, policy === 'isolated') },
    ...(policy !== 'open' && facts.bridge !== undefined ? [{ kind: 'nft' as const, batch: isolationRemoveCommands(facts.bridge), ignoreFailure: true }] : []),
  ]
}

/**
 * planDel: idempotent, owner-checked removal. What to remove comes from the state file ADD wrote,
 * else prevResult, else the attachment chain's own rules (one `list chain`; nothing when it is gone).
 */
export const planDel = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseFirewallConfig(req.conf)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const state = await readState(host, cfg.stateDir, chain)
  if (state) return { steps: delSteps(cfg, chain, state, state.backend, state.zone ?? cfg.zone) }
  let facts: ChainFacts
  if (hasAddresses(cfg)) {
    facts = { v4: cfg.v4, v6: cfg.v6, policy: cfg.policy, ...(cfg.policy !== 'open' && cfg.bridge !== undefined ? { bridge: cfg.bridge } : {}) }
  } else {
    const objs = await host.nft.list(['chain', TABLE.family, TABLE.table, chain])
    if (!objs) return { steps: [removeStateStep(cfg.stateDir, chain)] }
    facts = chainFacts(listedRules(objs, chain))
  }
  // firewalld sources are only ever ours to remove when the backend is (or resolves to) firewalld
  const backend = cfg.backend ?? (hasAddresses(facts) ? await chooseBackend(cfg, host) : undefined)
  return { steps: delSteps(cfg, chain, facts, backend, cfg.zone) }
}

/** ownedElements: the addresses whose element in `objs` points at chain. */
const ownedElements = (objs: readonly NftObject[], chain: string): PodAddrs => ({
  v4: mapElements(objs, MAP.v4).filter((e) => e.target === chain).map((e) => String(e.key[0])),
  v6: mapElements(objs, MAP.v6).filter((e) => e.target === chain).map((e) => String(e.key[0])),
})

/** ownerDescription: "container X (network N, interface I, chain C)" from a chain's comments. */
const ownerDescription = (objs: readonly NftObject[], chain: string): string => {
  for (const r of listedRules(objs, chain)) {
    const p = r.comment ? parseOwnerComment(r.comment) : {}
    if (p.ifname !== undefined) return `container ${p.containerId ?? '?'} (network ${p.network ?? '?'}, interface ${p.ifname}, chain ${chain})`
  }
  return `chain ${chain}`
}

/** Plugin-specific error code: a pod address is already firewalled for another attachment. */
export const ADDRESS_CONFLICT_CODE = 100

/**
 * recoverAdd (explain only): when an address of the pod already points at another attachment's
 * chain (EEXIST; an attachment that was never deleted while IPAM handed its address out again),
 * read the table once and name that owner; anything else is rethrown.
 */
export const recoverAdd = async (req: PluginRequest, host: ReadHost, err: unknown): Promise<undefined> => {
  const cfg = parseFirewallConfig(req.conf)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(tableArgs(TABLE)).catch(() => undefined)
  if (objs) {
    const mine = new Set([...cfg.v4, ...cfg.v6])
    const taken = [...mapElements(objs, MAP.v4), ...mapElements(objs, MAP.v6)].find((e) => e.target !== undefined && e.target !== chain && mine.has(String(e.key[0])))
    if (taken) {
      throw new CniError(ADDRESS_CONFLICT_CODE, `pod address ${String(taken.key[0])} is already firewalled for another attachment`,
        `owned by ${ownerDescription(objs, taken.target as string)}; DEL (or GC) that attachment first; nothing was changed`)
    }
  }
  throw err
}

/**
 * recoverDel: the DEL batch failed — an address now owned by another attachment (EEXIST), an
 * element we did not know of still pointing at the chain (EBUSY), a table gone (ENOENT), or a
 * kernel before 6.2 releasing a deleted element's reference late (EBUSY). Read our tables once and
 * retry: release exactly the elements that point at this attachment's chain and flush it (inert
 * from then on), then delete the chain on its own (may fail on old kernels: GC removes it later).
 */
export const recoverDel = async (req: PluginRequest, host: ReadHost, plan: Plan): Promise<Plan> => {
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  // the removal is the plan's one required nft step; the rest keeps its place around it
  const at = plan.steps.findIndex((s) => s.kind === 'nft' && !s.ignoreFailure)
  const steps: PlannedStep[] = []
  for (const [t, verdict] of [[TABLE, 'jump'], [BRIDGE_TABLE, 'goto']] as const) {
    const objs = await host.nft.list(tableArgs(t))
    if (!objs || !listedChains(objs).includes(chain)) continue
    steps.push({ kind: 'nft', batch: chainReleaseCommands(t, chain, ownedElements(objs, chain), verdict) })
    steps.push({ kind: 'nft', batch: [del(chainObj(t, chain))], ignoreFailure: true })
  }
  if (at < 0) return plan
  return { steps: [...plan.steps.slice(0, at), ...steps, ...plan.steps.slice(at + 1)] }
}

/** the attachment chains of the firewall (fw-…), for the shared GC rule (src/nft/ownership.ts staleChains) */
const POD_CHAINS: AttachmentChains = { isChain: isPodChainName, networkOf: (c) => parseOwnerComment(c).network }

/**
 * planGc: the one table-wide read. Removes this network's attachment chains (network from their
 * comments) that are not in cni.dev/valid-attachments, with their elements (owner-checked) in both
 * tables, then every isolation chain no attachment chain jumps to any more (separate transaction,
 * EBUSY ignored), and any empty attachment chain nothing points at (what a DEL on a kernel before
 * 6.2 leaves). No list at all: nothing is removed (src/cni/gc.ts).
 */
export const planGc = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseFirewallConfig(req.conf)
  const valid = validAttachments(req.conf)
  if (valid === undefined) return keepEverything()
  const keep = new Set(valid.map((a) => podChainName(cfg.network, a.containerID, a.ifname)))
  const objs = await host.nft.list(tableArgs(TABLE))
  if (!objs) return emptyPlan()
  const referenced = new Set([...mapElements(objs, MAP.v4), ...mapElements(objs, MAP.v6)].flatMap((e) => (e.target !== undefined ? [e.target] : [])))
  const stale = staleChains(objs, POD_CHAINS, cfg.network, keep, referenced)
  const staleSet = new Set(stale)
  // isolation chains still jumped to by an attachment chain that stays
  const inUse = new Set(listedRules(objs).filter((r) => isPodChainName(r.chain) && !staleSet.has(r.chain)).flatMap(jumpTargets))
  const unusedIso = listedChains(objs).flatMap((c) => {
    const bridge = bridgeOfIsoChain(c)
    return bridge !== undefined && !inUse.has(c) && c === isoChainName(bridge) ? [bridge] : []
  })
  const bridgeObjs = stale.length > 0 ? await host.nft.list(tableArgs(BRIDGE_TABLE)) : undefined
  const batch: NftCommand[] = []
  const steps: PlannedStep[] = []
  for (const chain of stale) {
    batch.push(...podRemoveCommands(chain, ownedElements(objs, chain), false))
    if (bridgeObjs && listedChains(bridgeObjs).includes(chain)) {
      batch.push(...chainReleaseCommands(BRIDGE_TABLE, chain, ownedElements(bridgeObjs, chain), 'goto'), del(chainObj(BRIDGE_TABLE, chain)))
    }
    const state = await readState(host, cfg.stateDir, chain)
    if (state) steps.push(...backendDelSteps(state.backend, state.zone ?? cfg.zone, state))
    steps.push(removeStateStep(cfg.stateDir, chain))
  }
  return {
    steps: [
      ...(batch.length > 0 ? [{ kind: 'nft' as const, batch }] : []),
      ...unusedIso.map((bridge) => ({ kind: 'nft' as const, batch: isolationRemoveCommands(bridge), ignoreFailure: true })),
      ...steps,
    ],
  }
}
