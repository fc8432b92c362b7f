// Wire types of CNI network configurations and results (spec 0.3.0 to 1.1.0).
// Results are kept in one "current" shape (1.x, plus the 0.3/0.4 `version` field when present);
// src/cni/result-convert.ts turns them into any supported version.

/** A JSON object as parsed from stdin or a file. */
export type JsonObject = { [key: string]: unknown }

export interface Interface {
  name: string
  mac?: string
  mtu?: number
  sandbox?: string
  socketPath?: string
  pciID?: string
}

export interface IPConfig {
  /** only in 0.3.0-0.4.0 results: "4" or "6" */
  version?: string
  address: string
  gateway?: string
  /** index into interfaces; 0 is a valid index */
  interface?: number
}

export interface Route {
  dst: string
  gw?: string
  mtu?: number
  advmss?: number
  priority?: number
  table?: number
  scope?: number
}

export interface DNS {
  nameservers?: string[]
  domain?: string
  search?: string[]
  options?: string[]
}

/** A result of spec 0.3.0 or later. */
export interface Result {
  cniVersion: string
  interfaces?: Interface[]
  ips?: IPConfig[]
  routes?: Route[]
  dns?: DNS
}

/** One attachment named in a GC request. */
export interface Attachment {
  containerID: string
  ifname: string
}

/** A plugin's stdin: the plugin's own keys plus what the runtime injects. */
export interface PluginConf extends JsonObject {
  cniVersion: string
  name: string
  type: string
  capabilities?: Record<string, boolean>
  runtimeConfig?: JsonObject
  prevResult?: JsonObject
  args?: JsonObject
}

/** A network configuration list as loaded from a .conflist (or a .conf wrapped in a list). */
export interface ConfList {
  cniVersion: string
  cniVersions?: string[]
  name: string
  disableCheck?: boolean
  disableGC?: boolean
  loadOnlyInlinedPlugins?: boolean
  plugins: JsonObject[]
}
