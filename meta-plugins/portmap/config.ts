// parsePortmapConfig: stdin → a checked PortmapConfig, or a code 7 CniError before any effect.
// Keys are matched case-insensitively (Go's encoding/json; containerd sends HostPort, ...).
import { isIPv4, isIPv6 } from 'node:net'
import { Address4, Address6 } from 'ip-address'
import { invalidConfig } from '../../src/cni/errors.js'
import { LIMITS, checkCount } from '../../src/cni/limits.js'
import { getKey, isObject, normalizeKeys } from '../../src/cni/keys.js'
import { toCurrentResult } from '../../src/cni/result-convert.js'
import type { JsonObject, PluginConf, Result } from '../../src/cni/types.js'
import { validatePortmapConfig } from '../../src/generated/validators.js'
import type { NftMatch } from '../../src/nft/types.js'
import { checkConditionProtocols, parseConditions } from './conditions.js'
import { isSpecific, keyFamilies, keyString, keysOverlap, type HostKey, type Protocol } from './layout.js'

/** One port mapping after validation. */
export interface PortMapping extends HostKey {
  containerPort: number
}

/** A pod address of one family: the address and its prefix length. */
export interface PodAddress {
  addr: string
  prefixLen: number
}

/** A destination prefix never DNATed (excludeDestinations), normalized to its network address. */
export interface DestinationPrefix {
  family: 4 | 6
  addr: string
  len: number
}

export interface PortmapConfig {
  network: string
  /** excludeDestinations: destinations this network's host ports never capture (Service VIP ranges) */
  excludeDestinations: DestinationPrefix[]
  snat: boolean
  masqAll: boolean
  /** 1 << markMasqBit */
  mark: number
  markBit: number
  conditionsV4: NftMatch[]
  conditionsV6: NftMatch[]
  stateDir: string
  mappings: PortMapping[]
  prevResult?: Result
  podV4?: PodAddress
  podV6?: PodAddress
}

export const DEFAULT_STATE_DIR = '/run/cni/portmap'

const TOP_KEYS = ['snat', 'masqAll', 'markMasqBit', 'externalSetMarkChain', 'conditionsV4', 'conditionsV6',
  'backend', 'stateDir', 'excludeDestinations', 'runtimeConfig', 'prevResult'] as const
const MAPPING_KEYS = ['hostPort', 'containerPort', 'protocol', 'hostIP'] as const

const dropNulls = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null))

/**
 * parseHostIP returns the normalized hostIP and its family, or nothing for "" (every address of
 * both families). "0.0.0.0" and "::" stay: every address of one family (as in the reference, which
 * skips a hostIP of the other family). "::1" is refused: NAT cannot reach a pod from IPv6 loopback.
 */
export const parseHostIP = (raw: unknown, where: string): { hostIP: string; hostFamily: 4 | 6 } | undefined => {
  if (raw === undefined || raw === '') return undefined
  if (typeof raw !== 'string') throw invalidConfig(`${where}: hostIP must be a string`)
  if (isIPv4(raw)) return { hostIP: raw, hostFamily: 4 }
  if (isIPv6(raw) && !raw.includes('%')) {
    const norm = new Address6(raw).correctForm()
    if (norm === '::1') {
      throw invalidConfig(`${where}: hostIP "::1" is not supported: IPv6 loopback cannot be NATed to a pod (use 127.0.0.1 or a node address)`)
    }
    return { hostIP: norm, hostFamily: 6 }
  }
  throw invalidConfig(`${where}: hostIP ${JSON.stringify(raw)} is not an IP address`)
}

/** covers: does wildcard-or-equal key a include every address of b? */
const covers = (a: HostKey, b: HostKey): boolean =>
  keysOverlap(a, b) && (!isSpecific(a) ? keyFamilies(b).every((f) => keyFamilies(a).includes(f)) : a.hostIP === b.hostIP)

const parsePortValue = (raw: unknown, what: 'host' | 'container'): number => {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0 || raw > 65535) {
    throw invalidConfig(`Invalid ${what} port number: ${JSON.stringify(raw ?? 0)} (must be 1-65535)`)
  }
  return raw
}

/**
 * parseMappings checks runtimeConfig.portMappings. Two mappings of one attachment that overlap
 * (Kubernetes' NodePorts rule: a wildcard and an address of its family, or the same key) must go
 * to the same container port; then the one the other covers is dropped (identical duplicates are
 * merged). Otherwise it is a code 7 error: the kernel would refuse the pair anyway.
 */
export const parseMappings = (raw: unknown): PortMapping[] => {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw invalidConfig('runtimeConfig.portMappings must be an array')
  let out: PortMapping[] = []
  raw.forEach((entry, i) => {
    const where = `portMappings[${i}]`
    if (!isObject(entry)) throw invalidConfig(`${where} must be an object`)
    const m = normalizeKeys(dropNulls(entry), MAPPING_KEYS)
    const hostPort = parsePortValue(m.hostPort, 'host')
    const containerPort = parsePortValue(m.containerPort, 'container')
    const protoRaw = m.protocol ?? 'tcp'
    if (typeof protoRaw !== 'string' || !['tcp', 'udp', 'sctp'].includes(protoRaw.toLowerCase())) {
      throw invalidConfig(`${where}: protocol ${JSON.stringify(protoRaw)} is not one of tcp, udp, sctp`)
    }
    const mapping: PortMapping = { protocol: protoRaw.toLowerCase() as Protocol, hostPort, containerPort, ...parseHostIP(m.hostIP, where) }
    const clash = out.find((o) => keysOverlap(o, mapping) && o.containerPort !== mapping.containerPort)
    if (clash) {
      throw invalidConfig(`${where}: host port ${keyString(mapping)} overlaps ${keyString(clash)}, mapped to another container port (${clash.containerPort}, not ${containerPort})`)
    }
    if (out.some((o) => covers(o, mapping))) return
    out = [...out.filter((o) => !covers(mapping, o)), mapping]
  })
  return out
}

/** parseExcludeDestinations reads excludeDestinations: ADDRESS[/LEN] strings, either family. */
export const parseExcludeDestinations = (raw: unknown): DestinationPrefix[] => {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw invalidConfig('excludeDestinations must be an array of CIDR strings')
  return raw.map((v, i) => {
    const bad = (): never => { throw invalidConfig(`excludeDestinations[${i}]: ${JSON.stringify(v)} is not an IP address or prefix (e.g. "10.96.0.0/12")`) }
    if (typeof v !== 'string' || v.includes('%')) return bad()
    const [addr = '', len, extra] = v.split('/')
    if (extra !== undefined || (len !== undefined && !/^\d{1,3}$/.test(len))) return bad()
    if (isIPv4(addr) && Number(len ?? 32) <= 32) {
      const a = new Address4(`${addr}/${len ?? 32}`)
      return { family: 4 as const, addr: a.startAddress().correctForm(), len: a.subnetMask }
    }
    if (isIPv6(addr) && Number(len ?? 128) <= 128) {
      const a = new Address6(`${addr}/${len ?? 128}`)
      return { family: 6 as const, addr: a.startAddress().correctForm(), len: a.subnetMask }
    }
    return bad()
  })
}

const prefixLen = (cidr: string): number => Number(cidr.split('/')[1] ?? (cidr.includes(':') ? 128 : 32))

/**
 * pickPodAddresses keeps the first IPv4 and first IPv6 of prevResult, skipping addresses whose
 * interface index points at an interface other than ifname or without a sandbox (reference §2.2).
 */
export const pickPodAddresses = (result: Result | undefined, ifname: string): { podV4?: PodAddress; podV6?: PodAddress } => {
  const out: { podV4?: PodAddress; podV6?: PodAddress } = {}
  for (const ip of result?.ips ?? []) {
    const idx = ip.interface
    if (idx !== undefined && idx !== null && idx >= 0 && result?.interfaces && idx < result.interfaces.length) {
      const intf = result.interfaces[idx]
      if (!intf || intf.name !== ifname || !intf.sandbox) continue
    }
    const addr = String(ip.address ?? '').split('/')[0] ?? ''
    if (isIPv4(addr) && !out.podV4) out.podV4 = { addr, prefixLen: prefixLen(ip.address) }
    else if (isIPv6(addr) && !addr.includes('%') && !out.podV6) out.podV6 = { addr: new Address6(addr).correctForm(), prefixLen: prefixLen(ip.address) }
  }
  return out
}

/** parsePortmapConfig validates the whole config; it never touches the host. */
export const parsePortmapConfig = (conf: PluginConf, ifname: string): PortmapConfig => {
  const top = normalizeKeys(dropNulls(conf), TOP_KEYS)
  const rc = isObject(top.runtimeConfig) ? normalizeKeys(dropNulls(top.runtimeConfig), ['portMappings']) : top.runtimeConfig
  // sizes first: the schema and the overlap check below grow with them
  checkCount(isObject(rc) ? getKey(rc, 'portMappings') : undefined, LIMITS.PORT_MAPPINGS, 'runtimeConfig.portMappings')
  checkCount(top.conditionsV4, LIMITS.CONDITIONS, 'conditionsV4')
  checkCount(top.conditionsV6, LIMITS.CONDITIONS, 'conditionsV6')
  checkCount(top.excludeDestinations, LIMITS.EXCLUDE_DESTINATIONS, 'excludeDestinations')
  const checked = { ...top, ...(rc !== undefined ? { runtimeConfig: rc } : {}) }
  delete (checked as JsonObject).prevResult
  if (!validatePortmapConfig(checked)) {
    const e = validatePortmapConfig.errors?.[0]
    throw invalidConfig(`${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`.trim())
  }
  if (top.externalSetMarkChain !== undefined && top.markMasqBit !== undefined) {
    throw invalidConfig('Cannot specify externalSetMarkChain and markMasqBit')
  }
  const markBit = (top.markMasqBit as number | undefined) ?? 13
  const cfg: PortmapConfig = {
    network: conf.name,
    excludeDestinations: parseExcludeDestinations(top.excludeDestinations),
    snat: (top.snat as boolean | undefined) ?? true,
    masqAll: (top.masqAll as boolean | undefined) ?? false,
    markBit,
    mark: 2 ** markBit,
    conditionsV4: parseConditions(top.conditionsV4, 4),
    conditionsV6: parseConditions(top.conditionsV6, 6),
    stateDir: ((top.stateDir as string | undefined) ?? DEFAULT_STATE_DIR).replace(/\/+$/, '') || '/',
    mappings: parseMappings(isObject(rc) ? getKey(rc, 'portMappings') : undefined),
  }
  const protocols = cfg.mappings.map((m) => m.protocol)
  checkConditionProtocols(cfg.conditionsV4, 4, protocols)
  checkConditionProtocols(cfg.conditionsV6, 6, protocols)
  if (!cfg.stateDir.startsWith('/') || cfg.stateDir.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw invalidConfig('stateDir must be an absolute path without "." or ".." segments')
  }
  if (isObject(top.prevResult)) {
    try {
      cfg.prevResult = toCurrentResult(top.prevResult, conf.cniVersion)
    } catch (err) {
      throw invalidConfig(`could not parse prevResult: ${err instanceof Error ? err.message : String(err)}`)
    }
    Object.assign(cfg, pickPodAddresses(cfg.prevResult, ifname))
  }
  return cfg
}
