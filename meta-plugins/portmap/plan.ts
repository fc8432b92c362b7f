// ADD, DEL and GC plans. Each is one nft transaction for the attachment itself, found by name and
// map key only (no listing on the ADD/DEL fast paths); a port held by specific host IPs adds one
// best-effort transaction per port on DEL (the kernel decides whether this was its last holder).
// Conntrack flushes and small state files around it: the record is written before the nft change.
import { isIPv4, isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import { getKey, isObject } from '../../src/cni/keys.js'
import { isNotFound, type ReadHost } from '../../src/host/types.js'
import { add, chainObj, del, flush } from '../../src/nft/build.js'
import { jumpTargets, listedChains, listedRules, mapElements, type ListedRule } from '../../src/nft/read.js'
import { stampAssert, stamped } from '../../src/nft/stamp.js'
import type { NftCommand, NftObject } from '../../src/nft/types.js'
import { emptyPlan, type Plan, type PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parsePortmapConfig, type PortmapConfig } from './config.js'
import {
  IPVS_DEVICE, MAP, TABLE, claimsOf, hostMap, isPodChainName, isSpecific, keyString, keysOverlap, parseOwnerComment,
  parseSharedChainName, podChainName, sharedChainOf, specificChain, type HostKey, type Owner, type Protocol,
} from './layout.js'
import {
  activeMappings, ipvsRefreshCommands, keyReleaseCommands, podAddCommands, podDeleteCommands, podReleaseCommands, podRules,
  sharedChainsOf, sharedReleaseCommands, skeletonCommands, type IpvsAddresses,
} from './rules.js'
import { attachmentPath, localnetSteps, readAttachment, recordStep, removeStateSteps, routeInterface } from './state.js'

const TABLE_ARGS = ['table', TABLE.family, TABLE.table]

/** ownerOf: the attachment identity of a request. */
export const ownerOf = (req: PluginRequest): Owner => ({ network: req.conf.name, containerId: req.env.containerId, ifname: req.env.ifname })

/** requireChained: ADD and CHECK need prevResult (the pod's addresses). */
export const requireChained = (req: PluginRequest): void => {
  if (!isObject(req.conf.prevResult)) throw new CniError(ErrorCode.InvalidConfig, 'must be called as chained plugin', 'portmap needs prevResult (the pod addresses)')
}

const toKey = (m: HostKey): HostKey => ({ protocol: m.protocol, hostPort: m.hostPort, ...(m.hostIP !== undefined ? { hostIP: m.hostIP, hostFamily: m.hostFamily } : {}) })

/** conntrackSteps: after the nft change, forget UDP flows to the host ports (they would keep the old DNAT). */
export const conntrackSteps = (keys: HostKey[], families: (4 | 6)[]): PlannedStep[] => {
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

/** sharedReleaseSteps: per shared port chain, the last holder's cleanup (best effort: EBUSY = not the last). */
export const sharedReleaseSteps = (chains: string[]): PlannedStep[] =>
  chains.map((c) => ({ kind: 'nft' as const, batch: sharedReleaseCommands(c), ignoreFailure: true }))

/**
 * readIpvs: the addresses on kube-ipvs0 (Service VIPs under kube-proxy's IPVS mode), [] when the
 * device does not exist, undefined when it could not be read (the sets are then left as they are).
 */
export const readIpvs = async (host: ReadHost): Promise<IpvsAddresses | undefined> => {
  // the device list of this process's network namespace (the node's) costs no process: without
  // kube-ipvs0 there (no IPVS mode, the common case) the `ip addr` call is skipped
  const devices = await host.files.read('/proc/self/net/dev').catch(() => undefined)
  if (devices !== undefined && !devices.split('\n').some((l) => l.trimStart().startsWith(`${IPVS_DEVICE}:`))) return { v4: [], v6: [] }
  try {
    const links = await host.ip.json<{ addr_info?: { family?: string; local?: string }[] }[]>(['addr', 'show', 'dev', IPVS_DEVICE])
    const addrs = (Array.isArray(links) ? links : []).flatMap((l) => (Array.isArray(l?.addr_info) ? l.addr_info : []))
    const v4 = addrs.filter((a) => a.family === 'inet' && isIPv4(String(a.local))).map((a) => String(a.local))
    const v6 = addrs.filter((a) => a.family === 'inet6' && isIPv6(String(a.local)) && !String(a.local).includes('%'))
      .map((a) => new Address6(String(a.local)).correctForm())
    return { v4: [...new Set(v4)], v6: [...new Set(v6)] }
  } catch (err) {
    return isNotFound(err) ? { v4: [], v6: [] } : undefined
  }
}

/** Run-time publishing: keys the live attachment gives up in the same transaction as its new set. */
export interface AddOptions {
  release?: HostKey[]
}

/**
 * planAdd: the record, then ONE transaction (skeleton + the attachment's chain and claims), then
 * route_localnet and conntrack. With options.release (publishing), the dropped keys are released
 * first in the same transaction, so a narrower key can give way to a wider one of the same pod.
 */
export const planAdd = async (req: PluginRequest, host: ReadHost, options: AddOptions = {}): Promise<Plan> => {
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
  const previous = await host.files.read(attachmentPath(cfg.stateDir, chain))
  const ipvs = await readIpvs(host)

  const release = options.release ?? []
  const kept = new Set(sharedChainsOf(keys))
  const freed = sharedChainsOf(release).filter((c) => !kept.has(c))
  // a freed port that one of the new wildcards wants must go in this transaction; the rest after it
  const now = freed.filter((c) => keys.some((k) => !isSpecific(k) && release.some((r) => sharedChainOf(r) === c && keysOverlap(k, r))))
  const prelude: NftCommand[] = release.length === 0 ? [] : [
    add(chainObj(TABLE, chain)),
    ...keyReleaseCommands(chain, release),
    flush(chainObj(TABLE, chain)),
    ...now.flatMap(sharedReleaseCommands),
  ]
  // the skeleton is re-written only when its stamp is missing (src/nft/stamp.ts); kube-ipvs0's
  // addresses are refreshed by every ADD either way
  const skeleton = skeletonCommands(cfg, cfg.snat && v4InUse)
  const own = [...(ipvs ? ipvsRefreshCommands(ipvs) : []), ...prelude, ...podAddCommands(chain, podRules(cfg, owner), keys)]
  const steps: PlannedStep[] = [
    recordStep(cfg.stateDir, chain, localnet, previous),
    {
      kind: 'nft',
      batch: [...stamped(TABLE, skeleton), ...own],
      fast: [stampAssert(TABLE, skeleton), ...own],
      undo: [
        { kind: 'nft', batch: podDeleteCommands(chain, keys) },
        // a shared port chain another holder still uses stays (EBUSY)
        ...sharedChainsOf(keys).map((c) => ({ kind: 'nft' as const, batch: sharedReleaseCommands(c), inUseIsFine: true as const })),
      ],
    },
    ...sharedReleaseSteps(freed.filter((c) => !now.includes(c))),
    ...(await localnetSteps(host, cfg.stateDir, chain, localnet)),
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

/** planDel: owner-checked removal of the attachment's elements and chain, then its shared ports; idempotent. */
export const planDel = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
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
    // nothing recorded: only the record's path, which takes a temp file a crash left with it
    return { steps: [{ kind: 'remove-file', path: attachmentPath(cfg.stateDir, chain) }] }
  }
  if (families.length === 0) families = [4, 6]
  const steps: PlannedStep[] = [
    ...(nft ? [{ kind: 'nft' as const, batch: podDeleteCommands(chain, keys) }] : []),
    ...sharedReleaseSteps(sharedChainsOf(keys)),
    ...conntrackSteps(keys, families),
    ...(await removeStateSteps(host, cfg.stateDir, [chain])),
  ]
  return { steps }
}

/** A dispatch-map element, decoded. */
export interface DispatchElement {
  map: string
  parts: (string | number)[]
  /** the key it stands for (a ports-map element: the family's wildcard) */
  key: HostKey
  target: string
}

const decodeElem = (map: string, parts: (string | number)[]): HostKey | undefined => {
  const [a, b, c] = parts
  const proto = (p: unknown): p is Protocol => p === 'tcp' || p === 'udp' || p === 'sctp'
  if (map === MAP.ports4 || map === MAP.ports6) {
    if (!proto(a) || typeof b !== 'number') return undefined
    return map === MAP.ports4 ? { protocol: a, hostPort: b, hostIP: '0.0.0.0', hostFamily: 4 } : { protocol: a, hostPort: b, hostIP: '::', hostFamily: 6 }
  }
  return proto(b) && typeof c === 'number' ? { protocol: b, hostPort: c, hostIP: String(a), hostFamily: map === MAP.v4 ? 4 : 6 } : undefined
}

/** dispatchElements: every element of the four dispatch maps, decoded. */
export const dispatchElements = (objs: readonly NftObject[]): DispatchElement[] =>
  [MAP.ports4, MAP.ports6, MAP.v4, MAP.v6].flatMap((map) => mapElements(objs, map).flatMap((e) => {
    const key = decodeElem(map, e.key)
    return key && e.target !== undefined ? [{ map, parts: e.key, key, target: e.target }] : []
  }))

/** elementsOf: the keys whose element points at chain. */
export const elementsOf = (objs: readonly NftObject[], chain: string): HostKey[] =>
  dispatchElements(objs).filter((e) => e.target === chain).map((e) => e.key)

/** ownerDescription: "container X (network N, interface I, chain C)" from a chain's comments. */
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

const sameParts = (a: (string | number)[], b: (string | number)[]): boolean => JSON.stringify(a) === JSON.stringify(b)

/**
 * findConflict: the first element of another attachment that one of `keys` collides with, and who
 * holds it (a wildcard owner, or the address holders behind a port's `goto specificN`).
 */
export const findConflict = (objs: readonly NftObject[], keys: HostKey[], chain: string): { key: HostKey; owners: string[] } | undefined => {
  const elems = dispatchElements(objs)
  for (const k of keys) {
    for (const c of claimsOf(k, chain)) {
      const held = elems.find((e) => e.map === c.map && sameParts(e.parts, c.key) && e.target !== c.target)
      if (!held) continue
      const fam = held.key.hostFamily as 4 | 6
      const holders = held.target === specificChain(fam)
        ? elems.filter((e) => e.map === hostMap(fam) && e.parts[1] === k.protocol && e.parts[2] === k.hostPort && e.target !== chain)
        : [held]
      const owners = holders.map((h) => `${ownerDescription(objs, h.target)} for ${keyString(writtenKey(objs, h))}`)
      return { key: k, owners: owners.length > 0 ? owners : ['a port entry no attachment holds any more (stale; GC removes it)'] }
    }
  }
  return undefined
}

/** writtenKey: the key an element's owner wrote (a ports-map element may stand for "" or 0.0.0.0), from its comments. */
const writtenKey = (objs: readonly NftObject[], e: DispatchElement): HostKey => {
  if (isSpecific(e.key)) return e.key
  for (const r of listedRules(objs, e.target)) {
    const key = r.comment ? parseOwnerComment(r.comment).key : undefined
    if (key && key.protocol === e.key.protocol && key.hostPort === e.key.hostPort && !isSpecific(key)) return key
  }
  return e.key
}

/**
 * recoverAdd: an ADD batch failed. On a collision, find which attachment holds the key (reading
 * the table: rare path only) and report it by name (code 100); anything else is rethrown.
 */
export const recoverAdd = async (req: PluginRequest, host: ReadHost, err: unknown): Promise<undefined> => {
  const cfg = parsePortmapConfig(req.conf, req.env.ifname)
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(TABLE_ARGS).catch(() => undefined)
  const conflict = objs ? findConflict(objs, activeMappings(cfg).map(toKey), chain) : undefined
  if (conflict) {
    throw new CniError(PORT_CONFLICT_CODE, `host port ${keyString(conflict.key)} is already mapped`,
      `owned by ${conflict.owners.join('; ')}; nothing was changed`)
  }
  throw err
}

/**
 * recoverDel: the DEL batch failed (a key owned by another attachment → EEXIST, a key we did not
 * know → EBUSY, no table → ENOENT, or — kernels before 6.2 — the chain still counted as referenced
 * right after its elements went → EBUSY). Read the table once and retry in two transactions: first
 * release exactly the elements that point at this attachment's chain and flush it (inert from then
 * on), then delete the chain, which may fail on old kernels and is left to GC (empty, unreferenced).
 * The shared port cleanups follow, as in the plan.
 */
export const recoverDel = async (req: PluginRequest, host: ReadHost, plan: Plan): Promise<Plan> => {
  const owner = ownerOf(req)
  const chain = podChainName(owner.network, owner.containerId, owner.ifname)
  const objs = await host.nft.list(TABLE_ARGS)
  const first = plan.steps.findIndex((s) => s.kind === 'nft' && !s.ignoreFailure)
  const rest = plan.steps.filter((_, i) => i !== first)
  if (!objs || !listedChains(objs).includes(chain)) return { steps: rest }
  const planned = new Set(rest.flatMap((s) => (s.kind === 'nft' ? s.batch : [])).flatMap((c) => (c.delete?.chain ? [String(c.delete.chain.name)] : [])))
  const referenced = listedRules(objs, chain).flatMap(jumpTargets).filter((c) => parseSharedChainName(c) && !planned.has(c))
  return {
    steps: [
      { kind: 'nft', batch: podReleaseCommands(chain, elementsOf(objs, chain)) },
      { kind: 'nft', batch: [del(chainObj(TABLE, chain))], ignoreFailure: true },
      ...sharedReleaseSteps([...new Set(referenced)]),
      ...rest,
    ],
  }
}
