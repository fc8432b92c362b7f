// Shared by the portmap unit tests: a request builder and a plan runner on the FakeHost.
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import type { PluginConf } from '../../../src/cni/types.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import type { CniEnv } from '../../../src/skel/env.js'

/** A fixture: one verb on one config, with the fake host's canned reads, and the expected plan. */
export interface PortmapFixture {
  description: string
  verb: 'ADD' | 'DEL' | 'GC'
  env?: Partial<CniEnv>
  conf: PluginConf
  /** FakeHost responses: key (keyFor) → JSON */
  responses?: Record<string, unknown>
  /** FakeHost files: path → content */
  files?: Record<string, string>
  /** FakeHost sysctls: "netns|key" → value */
  sysctls?: Record<string, string>
  expected?: unknown
}

export const request = (conf: PluginConf, env: Partial<CniEnv> = {}): PluginRequest => ({
  env: { command: 'ADD', containerId: 'ctr1', netns: '/run/netns/pod1', ifname: 'eth0', args: '', path: ['/opt/cni/bin'], ...env },
  conf,
  stdin: JSON.stringify(conf),
})

export const fakeFor = (f: Pick<PortmapFixture, 'responses' | 'files' | 'sysctls'>): FakeHost => {
  const host = createFakeHost()
  // like readdir: the entries of dir, sub-directories (implied by the files below them) included
  host.files.list = async (dir) =>
    [...new Set([...host.files.contents.keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1).split('/')[0] as string))].sort()
  for (const [k, v] of Object.entries(f.responses ?? {})) host.responses.set(k, v)
  for (const [k, v] of Object.entries(f.files ?? {})) host.files.contents.set(k, { content: v, mode: 0o600 })
  for (const [k, v] of Object.entries(f.sysctls ?? {})) host.sysctls.set(k, v)
  return host
}

export const prevResult = (ips: string[]) => ({
  cniVersion: '1.0.0',
  interfaces: [{ name: 'cni0', mac: '00:11:22:33:44:55' }, { name: 'eth0', mac: '00:11:22:33:44:66', sandbox: '/run/netns/pod1' }],
  ips: ips.map((address) => ({ address, interface: 1 })),
})

export const baseConf = (extra: Record<string, unknown> = {}): PluginConf => ({
  cniVersion: '1.0.0', name: 'testnet', type: 'portmap', stateDir: '/run/pmtest', ...extra,
})
