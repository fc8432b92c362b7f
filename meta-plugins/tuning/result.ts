// The ADD result: prevResult passed through, with the pod interface's new MAC (and, in 1.1.0
// results, its MTU) where tuning changed them (reference #605/#626: the MAC must be reported).
import type { Interface, Result } from '../../src/cni/types.js'
import { versionAtLeast } from '../../src/cni/versions.js'
import type { LinkSettings } from './config.js'

/**
 * updateResult returns a copy of prev whose interfaces named ifname carry the new mac/mtu. When
 * several share the name, those with a sandbox (the pod side) are the ones updated.
 */
export const updateResult = (prev: Result, ifname: string, link: LinkSettings, cniVersion: string): Result => {
  const interfaces = prev.interfaces
  if (!interfaces || (link.mac === undefined && link.mtu === undefined)) return prev
  const named = interfaces.filter((i) => i.name === ifname)
  const targets = new Set<Interface>(named.some((i) => i.sandbox) ? named.filter((i) => i.sandbox) : named)
  const withMtu = link.mtu !== undefined && versionAtLeast(cniVersion, '1.1.0')
  return {
    ...prev,
    interfaces: interfaces.map((i) => targets.has(i)
      ? { ...i, ...(link.mac !== undefined ? { mac: link.mac } : {}), ...(withMtu ? { mtu: link.mtu } : {}) }
      : i),
  }
}
