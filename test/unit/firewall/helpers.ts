// Shared by the firewall unit tests: requests, configs, and a FakeHost with iptables and firewalld
// seams that record calls and answer `iptables -S` from a per-family list of lines.
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import type { PluginConf } from '../../../src/cni/types.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import type { CniEnv } from '../../../src/skel/env.js'

export interface FwFake extends FakeHost {
  /** `iptables -S` lines per family (absent family = tool not installed) */
  ipt: Map<4 | 6, string[]>
  /** firewalld zone sources that exist: "zone|source" */
  sources: Set<string>
  /** every iptables / firewalld call, as words */
  extraCalls: string[][]
}

export const fwFake = (opts: { ipt?: Partial<Record<4 | 6, string[]>>; sources?: string[] } = {}): FwFake => {
  const host = createFakeHost() as FwFake
  host.ipt = new Map(Object.entries(opts.ipt ?? {}).map(([k, v]) => [Number(k) as 4 | 6, v as string[]]))
  host.sources = new Set(opts.sources ?? [])
  host.extraCalls = []
  host.iptables = {
    available: async (family) => host.ipt.has(family),
    rules: async (family) => {
      host.extraCalls.push([`iptables${family}`, '-S'])
      return host.ipt.get(family) ?? []
    },
    run: async (family, args, unless) => {
      host.extraCalls.push([`iptables${family}`, ...args, ...(unless ? ['unless', ...unless] : [])])
    },
  }
  host.firewalld = {
    addSource: async (zone, source) => {
      host.extraCalls.push(['firewalld', 'add', zone, source])
      host.sources.add(`${zone}|${source}`)
    },
    removeSource: async (zone, source) => {
      host.extraCalls.push(['firewalld', 'remove', zone, source])
      host.sources.delete(`${zone}|${source}`)
    },
    querySource: async (zone, source) => {
      host.extraCalls.push(['firewalld', 'query', zone, source])
      return host.sources.has(`${zone}|${source}`)
    },
  }
  return host
}

export const request = (conf: PluginConf, env: Partial<CniEnv> = {}): PluginRequest => ({
  env: { command: 'ADD', containerId: 'ctr1', netns: '/run/netns/pod1', ifname: 'eth0', args: '', path: ['/opt/cni/bin'], ...env },
  conf,
  stdin: JSON.stringify(conf),
})

/** prevResult as the bridge plugin makes it: bridge, host veth, pod interface; addresses on the pod interface. */
export const prevResult = (ips: string[], bridge = 'cni0') => ({
  cniVersion: '1.0.0',
  interfaces: [{ name: bridge, mac: '00:11:22:33:44:55' }, { name: 'veth1', mac: '00:11:22:33:44:77' }, { name: 'eth0', mac: '00:11:22:33:44:66', sandbox: '/run/netns/pod1' }],
  ips: ips.map((address) => ({ address, interface: 2 })),
})

export const baseConf = (extra: Record<string, unknown> = {}): PluginConf => ({
  cniVersion: '1.0.0', name: 'testnet', type: 'firewall', stateDir: '/run/fwtest', ...extra,
})
