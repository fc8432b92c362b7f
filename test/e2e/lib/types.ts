// Shapes shared by the e2e harness modules.

/** A named network namespace; path = /run/netns/<name> (what CNI_NETNS takes). */
export interface Netns {
  name: string
  path: string
}

/** One isolated test world: a node namespace (where plugins run) and a client namespace. */
export interface Topology {
  /** random id shared by this topology's namespaces */
  id: string
  node: Netns
  client: Netns
  /** node's IPv4 on the client link (192.168.250.1) */
  nodeClientIp: string
  /** client's IPv4 (192.168.250.2); the client's default route goes via the node */
  clientIp: string
  /** node's IPv6 on the client link (fd00:250::1) */
  nodeClientIp6: string
  /** client's IPv6 (fd00:250::2); default route via the node */
  clientIp6: string
  /** private temp dir for conflists, ipam data, tuning dataDir... (removed in teardown) */
  dir: string
  /** `${dir}/cache` (libcni result cache for this topology) */
  cacheDir: string
  /** `${repo}/bin:/usr/lib/cni` */
  cniPath: string
}
