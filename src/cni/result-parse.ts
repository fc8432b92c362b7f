// toCurrentResult: any result JSON (spec 0.1.0-1.1.0) into the one shape plugins work with (1.x).
// Like Go's typed decoders it matches keys case-insensitively, ignores unknown keys, checks the
// addresses, and keeps index/scope/table 0 (they are meaningful). cni-spec.md 4.
import { validateResult, validateResultLegacy } from '../generated/validators.js'
import { CniError, ErrorCode } from './errors.js'
import { isCidr } from './ip.js'
import { isObject, normalizeKeys } from './keys.js'
import type { DNS, IPConfig, Interface, JsonObject, Result, Route } from './types.js'
import { ajvErrorText } from './ajv-errors.js'
import { isIP } from 'node:net'

/** The result families of Go's pkg/types: which decoder reads which cniVersion. */
export const LEGACY_RESULT_VERSIONS = ['0.1.0', '0.2.0'] as const
export const V04_RESULT_VERSIONS = ['0.3.0', '0.3.1', '0.4.0'] as const
export const V1_RESULT_VERSIONS = ['1.0.0', '1.1.0'] as const

export type ResultFamily = 'legacy' | '040' | '100'

/** resultFamily names the decoder of a result version ("" is 0.1.0), or throws CniError 1. */
export const resultFamily = (version: string): ResultFamily => {
  if (version === '' || (LEGACY_RESULT_VERSIONS as readonly string[]).includes(version)) return 'legacy'
  if ((V04_RESULT_VERSIONS as readonly string[]).includes(version)) return '040'
  if ((V1_RESULT_VERSIONS as readonly string[]).includes(version)) return '100'
  throw new CniError(ErrorCode.IncompatibleVersion, 'unsupported CNI result version', JSON.stringify(version))
}

const decodeError = (details: string): CniError => new CniError(ErrorCode.DecodingFailure, 'failed to decode result', details)

const TOP_KEYS = ['cniVersion', 'interfaces', 'ips', 'routes', 'dns', 'ip4', 'ip6']
const INTERFACE_KEYS = ['name', 'mac', 'mtu', 'sandbox', 'socketPath', 'pciID']
const IP_KEYS = ['version', 'address', 'gateway', 'interface']
const ROUTE_KEYS = ['dst', 'gw', 'mtu', 'advmss', 'priority', 'table', 'scope']
const DNS_KEYS = ['nameservers', 'domain', 'search', 'options']
const LEGACY_IP_KEYS = ['ip', 'gateway', 'routes']

const mapObjects = (v: unknown, keys: readonly string[]): unknown =>
  Array.isArray(v) ? v.map((o) => (isObject(o) ? normalizeKeys(o, keys) : o)) : v

const normalizeLegacyIp = (v: unknown): unknown => {
  if (!isObject(v)) return v
  const o = normalizeKeys(v, LEGACY_IP_KEYS)
  return { ...o, ...(o.routes !== undefined ? { routes: mapObjects(o.routes, ROUTE_KEYS) } : {}) }
}

/** normalizeResultKeys gives every known key of a result its canonical spelling (recursively). */
export const normalizeResultKeys = (json: JsonObject): JsonObject => {
  const o = normalizeKeys(json, TOP_KEYS)
  const out: JsonObject = { ...o }
  if (o.interfaces !== undefined) out.interfaces = mapObjects(o.interfaces, INTERFACE_KEYS)
  if (o.ips !== undefined) out.ips = mapObjects(o.ips, IP_KEYS)
  if (o.routes !== undefined) out.routes = mapObjects(o.routes, ROUTE_KEYS)
  if (isObject(o.dns)) out.dns = normalizeKeys(o.dns, DNS_KEYS)
  if (o.ip4 !== undefined) out.ip4 = normalizeLegacyIp(o.ip4)
  if (o.ip6 !== undefined) out.ip6 = normalizeLegacyIp(o.ip6)
  return out
}

// Go's net.IP decoder reads "" as "no IP": empty gateways are simply absent.
const optionalIp = (where: string, v: string | undefined): string | undefined => {
  if (v === undefined || v === '') return undefined
  if (isIP(v) === 0) throw decodeError(`${where}: invalid IP address ${JSON.stringify(v)}`)
  return v
}
const cidr = (where: string, v: string): string => {
  if (!isCidr(v)) throw decodeError(`${where}: invalid CIDR address ${JSON.stringify(v)}`)
  return v
}
const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length > 0 ? a : undefined)
// drops the undefined fields (Go's omitempty); callers turn "" into undefined where Go omits it
const pick = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
const str = (s: string | undefined): string | undefined => (s === '' ? undefined : s)

const readRoute = (where: string, r: Route): Route => {
  const gw = optionalIp(`${where}.gw`, r.gw)
  return pick({
    dst: cidr(`${where}.dst`, r.dst),
    gw,
    // Go: int fields with omitempty vanish at 0; table and scope are pointers, so 0 stays
    mtu: r.mtu || undefined,
    advmss: r.advmss || undefined,
    priority: r.priority || undefined,
    table: r.table,
    scope: r.scope,
  })
}

const readDns = (d: DNS | undefined): DNS | undefined => {
  if (!d) return undefined
  return pick({
    nameservers: nonEmpty(d.nameservers),
    domain: str(d.domain),
    search: nonEmpty(d.search),
    options: nonEmpty(d.options),
  })
}

const readCurrent = (o: Omit<Result, 'cniVersion'>, family: '040' | '100', version: string): Result => {
  const interfaces = o.interfaces?.map((i): Interface => pick({
    name: i.name,
    mac: str(i.mac),
    sandbox: str(i.sandbox),
    // 0.3/0.4 interfaces have none of these (Go's types040 drops them)
    ...(family === '100' ? { mtu: i.mtu || undefined, socketPath: str(i.socketPath), pciID: str(i.pciID) } : {}),
  }))
  const ips = o.ips?.map((ip, n): IPConfig => pick({
    address: cidr(`ips[${n}].address`, ip.address),
    gateway: optionalIp(`ips[${n}].gateway`, ip.gateway),
    interface: ip.interface,
  }))
  const routes = o.routes?.map((r, n) => readRoute(`routes[${n}]`, r))
  return assemble(version, interfaces, ips, routes, readDns(o.dns))
}

type LegacyIp = { ip: string; gateway?: string; routes?: Route[] }

const readLegacy = (o: { ip4?: LegacyIp; ip6?: LegacyIp; dns?: DNS }, version: string): Result => {
  const ips: IPConfig[] = []
  const routes: Route[] = []
  for (const [key, ipc] of [['ip4', o.ip4], ['ip6', o.ip6]] as const) {
    if (!ipc) continue
    ips.push(pick({ address: cidr(`${key}.ip`, ipc.ip), gateway: optionalIp(`${key}.gateway`, ipc.gateway) }))
    ipc.routes?.forEach((r, n) => routes.push(readRoute(`${key}.routes[${n}]`, r)))
  }
  return assemble(version, undefined, ips, routes, readDns(o.dns))
}

const assemble = (cniVersion: string, interfaces?: Interface[], ips?: IPConfig[], routes?: Route[], dns?: DNS): Result => {
  const out: Result = { cniVersion }
  if (nonEmpty(interfaces)) out.interfaces = interfaces
  if (nonEmpty(ips)) out.ips = ips
  if (nonEmpty(routes)) out.routes = routes
  if (dns && Object.keys(dns).length > 0) out.dns = dns
  return out
}

/**
 * toCurrentResult parses a result of any version 0.1.0-1.1.0 (legacy ip4/ip6 too) into the 1.x
 * shape: no ips[].version, interface indexes and route table/scope 0 kept, empty arrays and an
 * empty dns dropped, unknown keys ignored. `cniVersion` stays the version the result was read as;
 * a result without one is read as `defaultVersion` (libcni #895; "" means 0.1.0).
 * Throws CniError 1 for an unknown version and 6 for a malformed result.
 */
export const toCurrentResult = (json: unknown, defaultVersion = ''): Result => {
  if (!isObject(json)) throw decodeError('a result must be a JSON object')
  const o = normalizeResultKeys(json)
  const raw = o.cniVersion ?? ''
  if (typeof raw !== 'string') throw decodeError('cniVersion must be a string')
  const version = raw === '' ? (defaultVersion === '' ? '0.1.0' : defaultVersion) : raw
  const family = resultFamily(version)
  if (family === 'legacy') {
    if (!validateResultLegacy(o)) throw decodeError(ajvErrorText(validateResultLegacy.errors, 'result'))
    return readLegacy(o as Parameters<typeof readLegacy>[0], version)
  }
  if (!validateResult(o)) throw decodeError(ajvErrorText(validateResult.errors, 'result'))
  return readCurrent(o as unknown as Result, family, version)
}
