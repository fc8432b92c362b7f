// convertResult: render a result (1.x shape, see result-parse.ts) as the JSON of any spec version,
// following Go's pkg/types converters (cni-spec.md 4.3): 0.1.0/0.2.0 keep the first IPv4 and IPv6
// address only, 0.3.x/0.4.0 add ips[].version and drop the 1.1 interface fields, 1.x is as is.
import { CniError, ErrorCode } from './errors.js'
import { ipFamily } from './ip.js'
import { resultFamily } from './result-parse.js'
import type { DNS, JsonObject, Result, Route } from './types.js'

export { toCurrentResult, resultFamily } from './result-parse.js'

/** Every version convertResult can render. */
export const RESULT_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const

// An empty string, array or object is left out, as Go's omitempty does.
const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length > 0 ? a : undefined)
const compact = (o: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''))

const renderDns = (dns: DNS | undefined): JsonObject =>
  compact({ nameservers: nonEmpty(dns?.nameservers), domain: dns?.domain, search: nonEmpty(dns?.search), options: nonEmpty(dns?.options) })

const renderRoute = (r: Route): JsonObject => compact({
  dst: r.dst,
  gw: r.gw,
  mtu: r.mtu || undefined,
  advmss: r.advmss || undefined,
  priority: r.priority || undefined,
  table: r.table,
  scope: r.scope,
})

const renderV1 = (result: Result, cniVersion: string): JsonObject => {
  const dns = renderDns(result.dns)
  return compact({
    cniVersion,
    interfaces: nonEmpty(result.interfaces?.map((i) => compact({
      name: i.name, mac: i.mac, mtu: i.mtu || undefined, sandbox: i.sandbox, socketPath: i.socketPath, pciID: i.pciID,
    }))),
    ips: nonEmpty(result.ips?.map((ip) => compact({ address: ip.address, gateway: ip.gateway, interface: ip.interface }))),
    routes: nonEmpty(result.routes?.map(renderRoute)),
    // 1.x drops an empty dns (types100 has a custom MarshalJSON)
    dns: Object.keys(dns).length > 0 ? dns : undefined,
  })
}

const render04 = (result: Result, cniVersion: string): JsonObject => compact({
  cniVersion,
  interfaces: nonEmpty(result.interfaces?.map((i) => compact({ name: i.name, mac: i.mac, sandbox: i.sandbox }))),
  ips: nonEmpty(result.ips?.map((ip) => compact({
    version: ipFamily(ip.address), address: ip.address, gateway: ip.gateway, interface: ip.interface,
  }))),
  // Go shares one Route type across versions, so the 1.1 route fields survive here
  routes: nonEmpty(result.routes?.map(renderRoute)),
  // types040 prints "dns":{} even when empty
  dns: renderDns(result.dns),
})

const renderLegacy = (result: Result, cniVersion: string): JsonObject => {
  const out: JsonObject = { cniVersion }
  for (const family of ['4', '6'] as const) {
    const ip = result.ips?.find((i) => ipFamily(i.address) === family)
    if (!ip) continue
    const routes = (result.routes ?? []).filter((r) => ipFamily(r.dst) === family).map((r) => compact({ dst: r.dst, gw: r.gw }))
    out[`ip${family}`] = compact({ ip: ip.address, gateway: ip.gateway, routes: nonEmpty(routes) })
  }
  if (out.ip4 === undefined && out.ip6 === undefined) {
    throw new CniError(ErrorCode.IncompatibleVersion, 'cannot convert: no valid IP addresses', `result version ${cniVersion} needs an IP address`)
  }
  out.dns = renderDns(result.dns)
  return out
}

/**
 * convertResult renders `result` (as toCurrentResult returns it) as the JSON of `toVersion`
 * ("" means 0.1.0). It throws CniError 1 for an unknown version, or for 0.1.0/0.2.0 when the
 * result has no IP address ("cannot convert: no valid IP addresses").
 */
export const convertResult = (result: Result, toVersion: string): JsonObject => {
  const version = toVersion === '' ? '0.1.0' : toVersion
  switch (resultFamily(version)) {
    case 'legacy':
      return renderLegacy(result, version)
    case '040':
      return render04(result, version)
    case '100':
      return renderV1(result, version)
  }
}
