// The well-known capability arguments (runtimeConfig) and their canonical key spelling.
// containerd's go-cni sends PascalCase keys ({"HostPort":80}) and Go plugins decode them
// case-insensitively, so keys are normalized before any schema check (cni-spec.md 6.1).
// This is the PLUGIN side only (reading a runtimeConfig it was given). The runtime side
// (chain/build-conf.ts) matches capability names exactly, as libcni does: which capability args
// reach a plugin is decided by exact name, how the plugin reads them is case-insensitive.
import { isObject, normalizeKeys } from './keys.js'
import type { JsonObject } from './types.js'

export interface PortMapping {
  hostPort: number
  containerPort: number
  protocol?: string
  hostIP?: string
}

export interface BandwidthEntry {
  /** bits per second; 0 = no limit */
  ingressRate?: number
  /** bits */
  ingressBurst?: number
  egressRate?: number
  egressBurst?: number
}

export interface IpRange {
  subnet: string
  rangeStart?: string
  rangeEnd?: string
  gateway?: string
}

/** The capability DNS shape: note servers/searches, not the result's nameservers/search. */
export interface CapabilityDns {
  servers?: string[]
  searches?: string[]
  options?: string[]
}

/** runtimeConfig with the well-known capabilities typed; others pass through as JSON. */
export interface RuntimeConfig extends JsonObject {
  portMappings?: PortMapping[]
  bandwidth?: BandwidthEntry
  mac?: string
  ips?: string[]
  ipRanges?: IpRange[][]
  dns?: CapabilityDns
  infinibandGUID?: string
  deviceID?: string
  aliases?: string[]
  cgroupPath?: string
}

/** The capability names of CONVENTIONS.md plus containerd's pod annotations. */
export const WELL_KNOWN_CAPABILITIES = [
  'portMappings', 'bandwidth', 'mac', 'ips', 'ipRanges', 'dns', 'infinibandGUID', 'deviceID',
  'aliases', 'cgroupPath', 'io.kubernetes.cri.pod-annotations',
] as const

const PORT_MAPPING_KEYS = ['hostPort', 'containerPort', 'protocol', 'hostIP']
const BANDWIDTH_KEYS = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst']
const IP_RANGE_KEYS = ['subnet', 'rangeStart', 'rangeEnd', 'gateway']
const DNS_KEYS = ['servers', 'searches', 'options']

const eachObject = (v: unknown, keys: readonly string[]): unknown =>
  Array.isArray(v) ? v.map((o) => (isObject(o) ? normalizeKeys(o, keys) : o)) : v

/**
 * normalizeCapabilityArgs returns a copy of a runtimeConfig (or a runtime's capability args)
 * whose well-known keys, and the keys inside their values, have the canonical spelling. Values
 * are not changed or checked (assertRuntimeConfig in schemas.ts does that); unknown keys stay.
 */
export const normalizeCapabilityArgs = (rc: JsonObject): JsonObject => {
  const out = normalizeKeys(rc, WELL_KNOWN_CAPABILITIES)
  if (out.portMappings !== undefined) out.portMappings = eachObject(out.portMappings, PORT_MAPPING_KEYS)
  if (isObject(out.bandwidth)) out.bandwidth = normalizeKeys(out.bandwidth, BANDWIDTH_KEYS)
  if (Array.isArray(out.ipRanges)) out.ipRanges = out.ipRanges.map((pool) => eachObject(pool, IP_RANGE_KEYS))
  if (isObject(out.dns)) out.dns = normalizeKeys(out.dns, DNS_KEYS)
  return out
}
