// Test helpers for bandwidth: a semantic fake machine with a pod namespace wired to the host by a
// veth (the way bridge/ptp leave it), and the plugin called through the real dispatcher.
import { createSemanticHost, type SemanticHost } from '../../../src/host/fake/index.js'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import { bandwidthPlugin } from '../../../meta-plugins/bandwidth/plugin.js'

export const NETNS = '/var/run/netns/bw-pod'
export const IFNAME = 'eth0'
export const CID = 'ctr1'
export const NETWORK = 'bwnet'
export const HOST_VETH = 'veth0a1b2c3d'
export const DATA_DIR = '/run/cni/bandwidth'
export const RECORD = `${DATA_DIR}/${NETWORK}:${CID}:${IFNAME}.json`

/** podWorld: the host namespace with HOST_VETH (up) whose peer is IFNAME in NETNS. */
export const podWorld = (opts: { mtu?: number } = {}): SemanticHost => {
  const host = createSemanticHost()
  host.addNamespace(NETNS)
  host.addVethPair({ ns: undefined, name: HOST_VETH, up: true, ...(opts.mtu ? { mtu: opts.mtu } : {}) }, { ns: NETNS, name: IFNAME, up: true, ...(opts.mtu ? { mtu: opts.mtu } : {}) })
  return host
}

export interface CallOpts {
  ifname?: string
  containerId?: string
  netns?: string
}

export interface CallResult {
  code: number
  out: any
  stdout: string
  stderr: string
}

/** call runs the bandwidth plugin for one verb through the dispatcher with `host`. */
export const call = async (host: SemanticHost, verb: string, conf: object, opts: CallOpts = {}): Promise<CallResult> => {
  let stdout = ''
  let stderr = ''
  const env: Record<string, string> = {
    CNI_COMMAND: verb,
    CNI_CONTAINERID: opts.containerId ?? CID,
    CNI_NETNS: opts.netns ?? NETNS,
    CNI_IFNAME: opts.ifname ?? IFNAME,
    CNI_PATH: '/opt/cni/bin',
  }
  const stdin = JSON.stringify(conf)
  const code = await runPlugin(pluginFromMeta(bandwidthPlugin), {
    env,
    readStdin: async () => stdin,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  }, () => host)
  return { code, stdout, stderr, out: stdout.trim() === '' ? undefined : JSON.parse(stdout) }
}

/** prevResult as the bridge plugin leaves it (host veth listed first, no sandbox). */
export const prevResultFor = (version: string, hostVeth = HOST_VETH): object => ({
  cniVersion: version,
  interfaces: [{ name: 'cni0' }, { name: hostVeth }, { name: IFNAME, sandbox: NETNS }],
  ips: [{ ...(version.startsWith('0.') ? { version: '4' } : {}), address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 2 }],
})

/** conf builds a bandwidth config (with prevResult unless withPrev is false). */
export const conf = (extra: object, opts: { version?: string; withPrev?: boolean } = {}): Record<string, unknown> => {
  const version = opts.version ?? '1.0.0'
  return {
    cniVersion: version,
    name: NETWORK,
    type: 'bandwidth',
    ...extra,
    ...(opts.withPrev === false ? {} : { prevResult: prevResultFor(version) }),
  }
}

/** qdiscs / filters: what `tc -j` shows on a host device. */
export const qdiscs = (host: SemanticHost, dev: string): Promise<any[]> => host.tc.json<any[]>(['qdisc', 'show', 'dev', dev])
export const ingressFilters = (host: SemanticHost, dev: string): Promise<any[]> => host.tc.json<any[]>(['filter', 'show', 'dev', dev, 'ingress'])

/** hostState: the fake's snapshot without the directory list (the data dir stays once created, as tuning's). */
export const hostState = (host: SemanticHost): unknown => {
  const s = structuredClone(host.snapshot()) as Record<string, unknown>
  delete s.dirs
  return s
}
