// ADD, DEL and GC plans. Each is at most one nft transaction, found by name and map key only
// (no listing on the ADD/DEL fast paths), followed by conntrack flushes and small state files.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import { getKey, isObject } from '../../src/cni/keys.js'
import type { Host } from '../../src/host/types.js'
import { listedChains, listedRules, mapElements, type ListedRule } from '../../src/nft/read.js'
import type { NftObject } from '../../src/nft/types.js'
import { emptyPlan, type Plan, type PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parsePortmapConfig, type PortmapConfig } from './config.js'
import {
  MAP, TABLE, isPodChainName, keyString, parseOwnerComment, podChainName, type HostKey, type Owner,
} from './layout.js'
import { activeMappings, podAddCommands, podDeleteCommands, podReleaseCommands, podRules, skeletonCommands } from './rules.js'
import { chainObj, del } from '../../src/nft/build.js'
import { addStateSteps, readAttachment, removeStateSteps, routeInterface } from './state.js'

const TABLE_ARGS = ['table', TABLE.family, TABLE.table]

/** ownerOf: the attachment identity of a request. */
export const ownerOf = (req: PluginRequest): Owner => ({ network: req.conf.name, containerId: req.env.containerId, ifname: req.env.ifname })

/** requireChained: ADD and CHECK need prevResult (the pod's addresses). */
export const requireChained = (req: PluginRequest): void => {
  if (!isObject(req.conf.prevResult)) throw new CniError(ErrorCode.InvalidConfig, 'must be called as chained plugin', 'portmap needs prevResult (the pod addresses)')
}

const toKey = (m: HostKey): HostKey => ({ protocol: m.protocol, hostPort: m.hostPort, ...(m.hostIP !== undefined ? { hostIP: m.hostIP, hostFamily: m.hostFamily } : {}) })

/** conntrackSteps: after the nft change, forget UDP flows to the host ports (they would keep the old DNAT). */
const conntrackSteps = (keys: HostKey[], families: (4 | 6)[]): PlannedStep[] => {
  const seen = new Set<string>()
  const steps: PlannedStep[] = []
  for (const k of keys) {
    if (k.protocol !== 'udp') continue
    for (const fam of families) {
      if (k.hostFamily !== undefined && k.hostFamily !== fam) continue
      const id = `${fam}/${k.hostPort}`
      if (seen.has(id)) continue
      seen.add(id)
      steps.push({ kind: 'conntrack-delete', family: fam === 4 ? 'ipv4' : 'ipv6', protocol: 'udp', port: k.hostPort, ignoreFailure: true })
    }
  }
  return steps
}

const podFamilies = (cfg: PortmapConfig): (4 | 6)[] => [...(cfg.podV4 ? [4 as const] : []), ...(cfg.podV6 ? [6 as const] : [])]

/** planAdd: skeleton + the attachment's chain and elements in one transaction. */
export const planAdd = async (req: PluginRequest, host: Host): Promise<Plan> => {
  requireChained(req)
  const cfg = parsePortmapConfig(req.conf, req.env.ifname)
  const result = cfg.prevResult ?? { cniVersion: req.conf.cniVersion }
  const active = activeMappings(cfg)
  if (active.length === 0) return emptyPlan(result)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const keys = active.map(toKey)
  const v4InUse = cfg.podV4 !== undefined && active.some((m) => m.hostFamily !== 6)
  const localnet = cfg.snat && v4InUse && cfg.podV4 ? await routeInterface(host, cfg.podV4.addr) : undefined
  const steps: PlannedStep[] = [
    {
      kind: 'nft',
      batch: [...skeletonCommands(cfg, cfg.snat && v4InUse), ...podAddCommands(chain, podRules(cfg, owner), keys)],
      undo: [{ kind: 'nft', batch: podDeleteCommands(chain, keys) }],
    },
    ...(await addStateSteps(host, cfg.stateDir, chain, localnet)),
    ...conntrackSteps(keys, podFamilies(cfg)),
  ]
  return { steps, result }
}

/** keysFromRules: the keys and pod families recorded in a pod chain's DNAT rules. */
export const keysFromRules = (rules: ListedRule[]): { keys: HostKey[]; families: (4 | 6)[] } => {
  const keys = new Map<string, HostKey>()
  const families = new Set<4 | 6>()
  for (const r of rules) {
    const key = r.comment ? parseOwnerComment(r.comment).key : undefined
    if (key) keys.set(keyString(key), key)
    for (const e of r.expr) {
      const fam = (e as { dnat?: { family?: string } }).dnat?.family
      if (fam === 'ip') families.add(4)
      if (fam === 'ip6') families.add(6)
    }
  }
  return { keys: [...keys.values()], families: [...families] }
}

/** planDel: owner-checked removal of the attachment's elements and chain; idempotent. */
export const planDel = async (req: PluginRequest, host: Host): Promise<Plan> => {
  const cfg = parsePortmapConfig(req.conf, req.env.ifname)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const state = await readAttachment(host, cfg.stateDir, chain)
  let keys: HostKey[]
  let families = podFamilies(cfg)
  let nft = true
  if (cfg.mappings.length > 0) {
    keys = (cfg.prevResult ? activeMappings(cfg) : cfg.mappings).map(toKey)
  } else if (state !== undefined) {
    // no portMappings given again: the chain describes itself
    const objs = await host.nft.list(['chain', TABLE.family, TABLE.table, chain])
    const found = keysFromRules(listedRules(objs ?? []))
    keys = found.keys
    if (families.length === 0) families = found.families
    nft = objs !== undefined
  } else {
    return emptyPlan()
  }
  if (families.length === 0) families = [4, 6]
  const steps: PlannedStep[] = [
    ...(nft ? [{ kind: 'nft' as const, batch: podDeleteCommands(chain, keys) }] : []),
    ...conntrackSteps(keys, families),
    ...(await removeStateSteps(host, cfg.stateDir, [chain])),
  ]
  return { steps }
}

const decodeElem = (name: string, parts: (string | number)[]): HostKey | undefined => {
  const [a, b, c] = parts
  if (name === MAP.any) return typeof b === 'number' ? { protocol: a as HostKey['protocol'], hostPort: b } : undefined
  return typeof c === 'number' ? { protocol: b as HostKey['protocol'], hostPort: c, hostIP: String(a), hostFamily: name === MAP.v4 ? 4 : 6 } : undefined
}

/** dispatchElements: every element of the three dispatch maps, decoded. */
export const dispatchElements = (objs: readonly NftObject[]): { key: HostKey; target: string }[] =>
  [MAP.any, MAP.v4, MAP.v6].flatMap((name) => mapElements(objs, name).flatMap((e) => {
    const key = decodeElem(name, e.key)
    return key && e.target !== undefined ? [{ key, target: e.target }] : []
  }))

/** elementsOf: the dispatch-map keys whose element points at chain. */
export const elementsOf = (objs: readonly NftObject[], chain: string): HostKey[] =>
  dispatchElements(objs).filter((e) => e.target === chain).map((e) => e.key)

/** ownerDescription: "container X (network N, interface I)" from a chain's comments. */
const ownerDescription = (objs: readonly NftObject[], chain: string): string => {
  for (const r of listedRules(objs, chain)) {
    const p = r.comment ? parseOwnerComment(r.comment) : {}
    if (p.ifname !== undefined) {
      return `container ${p.containerId ?? '?'} (network ${p.network ?? '?'}, interface ${p.ifname}, chain ${chain})`
    }
  }
  return `chain ${chain}`
}

/** Plugin-specific error code: a host port is already mapped by another attachment. */
export const PORT_CONFLICT_CODE = 100

/**
 * recoverAdd: an ADD batch failed. On EEXIST, find which key another attachment owns (reading the
 * table: rare path only) and report it by name; anything else is rethrown.
 */
export const recoverAdd = async (req: PluginRequest, host: Host, err: unknown): Promise<undefined> => {
  const cfg = parsePortmapConfig(req.conf, req.env.ifname)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(TABLE_ARGS).catch(() => undefined)
  if (objs) {
    const mine = new Set(activeMappings(cfg).map((m) => keyString(m)))
    const taken = dispatchElements(objs).find((e) => e.target !== chain && mine.has(keyString(e.key)))
    if (taken) {
      const [key, other] = [keyString(taken.key), taken.target]
      throw new CniError(PORT_CONFLICT_CODE, `host port ${key} is already mapped`, `owned by ${ownerDescription(objs, other)}; nothing was changed`)
    }
  }
  throw err
}

/**
 * recoverDel: the DEL batch failed (a key owned by another attachment → EEXIST, a key we did not
 * know → EBUSY, no table → ENOENT, or — kernels before 6.2 — the chain still counted as referenced
 * right after its elements went → EBUSY). Read the table once and retry in two transactions: first
 * release exactly the elements that point at this attachment's chain and flush it (inert from then
 * on), then delete the chain, which may fail on old kernels and is left to GC (empty, unreferenced).
 */
export const recoverDel = async (req: PluginRequest, host: Host, plan: Plan): Promise<Plan> => {
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(TABLE_ARGS)
  const rest = plan.steps.filter((s) => s.kind !== 'nft')
  if (!objs || !listedChains(objs).includes(chain)) return { steps: rest }
  return {
    steps: [
      { kind: 'nft', batch: podReleaseCommands(chain, elementsOf(objs, chain)) },
      { kind: 'nft', batch: [del(chainObj(TABLE, chain))], ignoreFailure: true },
      ...rest,
    ],
  }
}

/** validAttachments reads cni.dev/valid-attachments (or the spec tag's cni.dev/attachments). */
const validAttachments = (conf: PluginRequest['conf']): { containerID: string; ifname: string }[] => {
  const raw = getKey(conf, 'cni.dev/valid-attachments') ?? getKey(conf, 'cni.dev/attachments') ?? []
  if (!Array.isArray(raw)) throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', 'cni.dev/valid-attachments must be an array')
  return raw.filter(isObject).map((a) => ({ containerID: String(getKey(a, 'containerID') ?? ''), ifname: String(getKey(a, 'ifname') ?? '') }))
}

/** planGc: one table listing; remove this network's chains (and their elements) not in the valid list. */
export const planGc = async (req: PluginRequest, host: Host): Promise<Plan> => {
  const cfg = parsePortmapConfig(req.conf, '')
  const valid = new Set(validAttachments(req.conf).map((a) => podChainName(cfg.network, a.containerID, a.ifname)))
  const objs = await host.nft.list(TABLE_ARGS)
  if (!objs) return emptyPlan()
  const referenced = new Set(dispatchElements(objs).map((e) => e.target))
  const stale = listedChains(objs).filter(isPodChainName).filter((chain) => {
    if (valid.has(chain)) return false
    const rules = listedRules(objs, chain)
    // an empty chain no element points at is what a DEL on a pre-6.2 kernel leaves: inert, anyone's
    if (rules.length === 0) return !referenced.has(chain)
    return rules.some((r) => r.comment !== undefined && parseOwnerComment(r.comment).network === cfg.network)
  })
  if (stale.length === 0) return emptyPlan()
  const steps: PlannedStep[] = [
    { kind: 'nft', batch: stale.flatMap((chain) => podDeleteCommands(chain, elementsOf(objs, chain))) },
    ...(await removeStateSteps(host, cfg.stateDir, stale)),
  ]
  return { steps }
}
