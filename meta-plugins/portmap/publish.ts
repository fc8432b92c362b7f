// Run-time publishing: add or remove host ports on a live attachment in one nft transaction, then
// record the new set in the libcni cache (capabilityArgs.portMappings) so a later DEL — by
// cni-chain or by libcni — passes it to portmap and removes it too.
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import { getKey, isObject } from '../../src/cni/keys.js'
import type { JsonObject, PluginConf } from '../../src/cni/types.js'
import type { Host } from '../../src/host/types.js'
import { applyPlan } from '../../src/plan/apply.js'
import type { Plan } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { readCache, writeCache, type CacheEntry } from '../../chain/cache.js'
import { parseHostIP, parseMappings, type PortMapping } from './config.js'
import { keyString, podChainName } from './layout.js'
import { planAdd, planDel, recoverAdd } from './plan.js'
import { podDeleteCommands } from './rules.js'
import { add, del, elementObj, elemKey, gotoElem } from '../../src/nft/build.js'
import { TABLE, elemKeyParts, mapOfKey } from './layout.js'

/** parseMappingSpec reads HOST:CONTAINER[/PROTO] (protocol default tcp) plus an optional host IP. */
export const parseMappingSpec = (spec: string, hostIP?: string): PortMapping => {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/([A-Za-z]+))?$/.exec(spec)
  if (!m) throw invalidConfig(`port mapping ${JSON.stringify(spec)} is not HOST:CONTAINER[/tcp|udp|sctp]`)
  const [mapping] = parseMappings([{ hostPort: Number(m[1]), containerPort: Number(m[2]), protocol: m[3] ?? 'tcp', ...(hostIP ? { hostIP } : {}) }])
  if (hostIP) parseHostIP(hostIP, 'host IP')
  return mapping as PortMapping
}

/** toWire: a mapping as the runtime would send it in capabilityArgs. */
const toWire = (m: PortMapping): JsonObject => ({
  hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol, ...(m.hostIP ? { hostIP: m.hostIP } : {}),
})

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

export interface PublishTarget {
  network: string
  cniVersion: string
  plugins: JsonObject[]
  cacheDir: string
  containerId: string
  ifname: string
}

/** The attachment's cache entry, or a clear error (publishing needs a live attachment). */
const loadEntry = async (host: Host, t: PublishTarget): Promise<CacheEntry> => {
  const read = await readCache(host.files, t.cacheDir, t.network, t.containerId, t.ifname)
  if (read.kind !== 'ok' || !read.entry) {
    throw new CniError(ErrorCode.UnknownContainer, 'no such attachment',
      `no cached ADD for network ${t.network}, container ${t.containerId}, interface ${t.ifname} in ${t.cacheDir}`)
  }
  return read.entry
}

/** currentMappings: capabilityArgs.portMappings of the cache entry. */
const currentMappings = (e: CacheEntry): PortMapping[] => parseMappings(e.capabilityArgs ? getKey(e.capabilityArgs, 'portMappings') : undefined)

const sameKey = (a: PortMapping, b: PortMapping): boolean => keyString(a) === keyString(b)

/**
 * changePorts publishes `addMappings` and unpublishes `removeMappings` on a live attachment:
 * one nft batch (the ADD plan for the new set + owner-checked removal of the dropped keys), then
 * the cache update. Returns the new set.
 */
export const changePorts = async (host: Host, t: PublishTarget, addMappings: PortMapping[], removeMappings: PortMapping[]): Promise<PortMapping[]> => {
  const pm = findPortmapConf(t.plugins)
  if (!pm) throw invalidConfig(`network ${t.network} has no portmap plugin`)
  const entry = await loadEntry(host, t)
  const before = currentMappings(entry)
  for (const r of removeMappings) {
    if (!before.some((b) => sameKey(b, r))) throw invalidConfig(`host port ${keyString(r)} is not published on this attachment`)
  }
  let next = before.filter((b) => !removeMappings.some((r) => sameKey(b, r)))
  for (const a of addMappings) {
    const same = next.find((b) => sameKey(a, b))
    if (same && same.containerPort !== a.containerPort) throw invalidConfig(`host port ${keyString(a)} is already published to port ${same.containerPort}`)
    if (!same) next = [...next, a]
  }
  const dropped = before.filter((b) => !next.some((n) => sameKey(b, n)))
  const conf: PluginConf = {
    ...pm, cniVersion: t.cniVersion, name: t.network, type: 'portmap',
    runtimeConfig: { portMappings: next.map(toWire) },
    ...(entry.result ? { prevResult: entry.result } : {}),
  }
  const req: PluginRequest = {
    env: { command: 'ADD', containerId: t.containerId, netns: entry.netns ?? '', ifname: t.ifname, args: '', path: [] },
    conf, stdin: JSON.stringify(conf),
  }
  const chain = podChainName(t.network, t.containerId, t.ifname)
  let plan: Plan
  if (next.length > 0) {
    plan = await planAdd(req, host)
    // conntrack: only host ports whose mapping changes; live flows of unchanged ports stay
    const added = next.filter((n) => !before.some((b) => sameKey(b, n)))
    plan.steps = plan.steps.filter((s) => s.kind !== 'conntrack-delete' || added.some((a) => a.protocol === s.protocol && a.hostPort === s.port))
    const nftStep = plan.steps.find((s) => s.kind === 'nft')
    if (nftStep && nftStep.kind === 'nft' && dropped.length > 0) {
      // owner-checked removal of the dropped keys, in the same transaction
      for (const k of dropped) {
        const name = mapOfKey(k)
        nftStep.batch.push(add(elementObj(TABLE, name, [gotoElem(elemKeyParts(k), chain)])))
        nftStep.batch.push(del(elementObj(TABLE, name, [elemKey(elemKeyParts(k))])))
      }
    }
    plan.steps.push(...dropped.filter((k) => k.protocol === 'udp').map((k) => ({ kind: 'conntrack-delete' as const, family: (k.hostFamily === 6 ? 'ipv6' : 'ipv4') as 'ipv4' | 'ipv6', protocol: 'udp' as const, port: k.hostPort, ignoreFailure: true })))
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
  const capabilityArgs: JsonObject = { ...(entry.capabilityArgs ?? {}), portMappings: next.map(toWire) }
  if (next.length === 0) delete capabilityArgs.portMappings
  await writeCache(host.files, t.cacheDir, { ...entry, capabilityArgs })
  return next
}

/** describeMapping: "tcp 8080 -> 80" / "udp 10.0.0.1:53 -> 53". */
export const describeMapping = (m: PortMapping): string =>
  `${m.protocol} ${m.hostIP ? (m.hostFamily === 6 ? `[${m.hostIP}]:` : `${m.hostIP}:`) : ''}${m.hostPort} -> ${m.containerPort}`

/** cachedMappings: the port mappings recorded in one cache entry (for `ports list`). */
export const cachedMappings = (e: CacheEntry): PortMapping[] => {
  try {
    return currentMappings(e)
  } catch {
    return []
  }
}
