// Run-time publishing, the plugin side: add or remove host ports on a live attachment in one nft
// transaction. Where the attachment's current ports come from and where the new set is recorded
// (the libcni cache) is the caller's business: chain/cli/publish.ts.
import { invalidConfig } from '../../src/cni/errors.js'
import { getKey, isObject } from '../../src/cni/keys.js'
import type { JsonObject, PluginConf } from '../../src/cni/types.js'
import type { Host } from '../../src/host/types.js'
import { applyPlan } from '../../src/plan/apply.js'
import type { Plan } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseHostIP, parseMappings, parsePortmapConfig, type PortMapping } from './config.js'
import { keyString, podChainName } from './layout.js'
import { conntrackSteps, planAdd, planDel, recoverAdd } from './plan.js'
import { podDeleteCommands } from './rules.js'

/** parseMappingSpec reads HOST:CONTAINER[/PROTO] (protocol default tcp) plus an optional host IP. */
export const parseMappingSpec = (spec: string, hostIP?: string): PortMapping => {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/([A-Za-z]+))?$/.exec(spec)
  if (!m) throw invalidConfig(`port mapping ${JSON.stringify(spec)} is not HOST:CONTAINER[/tcp|udp|sctp]`)
  const [mapping] = parseMappings([{ hostPort: Number(m[1]), containerPort: Number(m[2]), protocol: m[3] ?? 'tcp', ...(hostIP ? { hostIP } : {}) }])
  if (hostIP) parseHostIP(hostIP, 'host IP')
  return mapping as PortMapping
}

/** findPortmapConf: the portmap entry of a list (also inside a `chain` plugin's sub-list). */
export const findPortmapConf = (plugins: readonly JsonObject[]): JsonObject | undefined => {
  for (const p of plugins) {
    if (getKey(p, 'type') === 'portmap') return p
    const nested = getKey(p, 'plugins')
    if (Array.isArray(nested)) {
      const found = findPortmapConf(nested.filter(isObject))
      if (found) return found
    }
  }
  return undefined
}

/** The live attachment whose ports change, as the runtime last called portmap for it. */
export interface LiveAttachment {
  /** the portmap entry of the network's list */
  portmap: JsonObject
  network: string
  cniVersion: string
  containerId: string
  ifname: string
  netns: string
  /** the attachment's cached result (the prevResult portmap saw) */
  prevResult?: JsonObject
  /** the host ports published now */
  current: PortMapping[]
}

/** toWire: a mapping as the runtime would send it in capabilityArgs. */
export const toWire = (m: PortMapping): JsonObject => ({
  hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol, ...(m.hostIP ? { hostIP: m.hostIP } : {}),
})

const sameKey = (a: PortMapping, b: PortMapping): boolean => keyString(a) === keyString(b)

/** nextMappings: the set after adding and removing, or a clear error for an impossible change. */
export const nextMappings = (before: PortMapping[], addMappings: PortMapping[], removeMappings: PortMapping[]): PortMapping[] => {
  for (const r of removeMappings) {
    if (!before.some((b) => sameKey(b, r))) throw invalidConfig(`host port ${keyString(r)} is not published on this attachment`)
  }
  let next = before.filter((b) => !removeMappings.some((r) => sameKey(b, r)))
  for (const a of addMappings) {
    const same = next.find((b) => sameKey(a, b))
    if (same && same.containerPort !== a.containerPort) throw invalidConfig(`host port ${keyString(a)} is already published to port ${same.containerPort}`)
    if (!same) next = [...next, a]
  }
  // the same rules as an ADD: overlapping keys to different container ports are refused, a key
  // another one of the set covers is dropped
  return parseMappings(next.map(toWire))
}

/**
 * changePorts publishes `addMappings` and unpublishes `removeMappings` on a live attachment: one
 * nft batch (the ADD plan for the new set + owner-checked removal of the dropped keys), conntrack
 * flushed only for host ports whose mapping changes. Returns the new set.
 */
export const changePorts = async (host: Host, a: LiveAttachment, addMappings: PortMapping[], removeMappings: PortMapping[]): Promise<PortMapping[]> => {
  const before = a.current
  const next = nextMappings(before, addMappings, removeMappings)
  const dropped = before.filter((b) => !next.some((n) => sameKey(b, n)))
  const conf: PluginConf = {
    ...a.portmap, cniVersion: a.cniVersion, name: a.network, type: 'portmap',
    runtimeConfig: { portMappings: next.map(toWire) },
    ...(a.prevResult ? { prevResult: a.prevResult } : {}),
  }
  const req: PluginRequest = {
    env: { command: 'ADD', containerId: a.containerId, netns: a.netns, ifname: a.ifname, args: '', path: [] },
    conf, stdin: JSON.stringify(conf),
  }
  const chain = podChainName(a.network, a.containerId, a.ifname)
  let plan: Plan
  if (next.length > 0) {
    // the ADD plan for the new set; the dropped keys released first, in the same transaction
    plan = await planAdd(req, host, { release: dropped })
    // conntrack: only host ports whose mapping changes; live flows of unchanged ports stay
    const added = next.filter((n) => !before.some((b) => sameKey(b, n)))
    plan.steps = plan.steps.filter((s) => s.kind !== 'conntrack-delete' || added.some((m) => m.protocol === s.protocol && m.hostPort === s.port))
    const { podV4, podV6 } = parsePortmapConfig(conf, a.ifname)
    plan.steps.push(...conntrackSteps(dropped, podV4 || podV6 ? [...(podV4 ? [4 as const] : []), ...(podV6 ? [6 as const] : [])] : [4, 6]))
  } else {
    plan = await planDel({ ...req, env: { ...req.env, command: 'DEL' }, conf: { ...conf, runtimeConfig: { portMappings: dropped.map(toWire) } } }, host)
    if (!plan.steps.some((s) => s.kind === 'nft')) plan.steps.unshift({ kind: 'nft', batch: podDeleteCommands(chain, dropped) })
  }
  try {
    await applyPlan(plan, host)
  } catch (err) {
    if (next.length > 0) await recoverAdd(req, host, err)
    throw err
  }
  return next
}

/** mappingsOf: the portMappings of a capabilityArgs object ([] when absent or unreadable). */
export const mappingsOf = (capabilityArgs: JsonObject | undefined): PortMapping[] => {
  try {
    return parseMappings(capabilityArgs ? getKey(capabilityArgs, 'portMappings') : undefined)
  } catch {
    return []
  }
}

/** describeMapping: "tcp 8080 -> 80" / "udp 10.0.0.1:53 -> 53". */
export const describeMapping = (m: PortMapping): string =>
  `${m.protocol} ${m.hostIP ? (m.hostFamily === 6 ? `[${m.hostIP}]:` : `${m.hostIP}:`) : ''}${m.hostPort} -> ${m.containerPort}`
