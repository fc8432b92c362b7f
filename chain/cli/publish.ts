// Run-time publishing, the runtime side: read the live attachment from the libcni cache, let
// portmap change its host ports, then record the new set in the cache (capabilityArgs.portMappings)
// so a later DEL — by cni-chain or by libcni — passes it to portmap and removes it too.
import { checkCacheDir, readCache, writeCache, type CacheEntry } from '../../src/cni/cache.js'
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import { checkAttachment } from '../../src/cni/validate.js'
import type { JsonObject } from '../../src/cni/types.js'
import type { Host } from '../../src/host/types.js'
import { parseMappings, type PortMapping } from '../../meta-plugins/portmap/config.js'
import { changePorts as changeLivePorts, findPortmapConf, toWire } from '../../meta-plugins/portmap/publish.js'

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

/**
 * changePorts: publish/unpublish on the live attachment, then update its cache entry. Returns the
 * new set. The names are checked with libcni's rules first: they build the cache path and the
 * owner marks in nft, so nothing is read or changed for an invalid one.
 */
export const changePorts = async (host: Host, t: PublishTarget, addMappings: PortMapping[], removeMappings: PortMapping[]): Promise<PortMapping[]> => {
  checkAttachment({ network: t.network, containerId: t.containerId, ifname: t.ifname })
  checkCacheDir(t.cacheDir)
  const portmap = findPortmapConf(t.plugins)
  if (!portmap) throw invalidConfig(`network ${t.network} has no portmap plugin`)
  const entry = await loadEntry(host, t)
  // exactly the key a DEL passes on (capability names match exactly, as libcni)
  const current = parseMappings(entry.capabilityArgs?.portMappings)
  const next = await changeLivePorts(host, {
    portmap, network: t.network, cniVersion: t.cniVersion, containerId: t.containerId, ifname: t.ifname,
    netns: entry.netns ?? '', current, ...(entry.result ? { prevResult: entry.result } : {}),
  }, addMappings, removeMappings)
  const capabilityArgs: JsonObject = { ...(entry.capabilityArgs ?? {}), portMappings: next.map(toWire) }
  if (next.length === 0) delete capabilityArgs.portMappings
  await writeCache(host.files, t.cacheDir, { ...entry, capabilityArgs })
  return next
}
