// Test helpers for tuning: the semantic fake host (src/host/fake/) with the pod netns, its
// sysctls and the pod interface, a few views the tests read it through (`link`, `sysctls`,
// `sysctlIn`, `failures`), and runPlugin with fake IO.
import { createSemanticHost, keyFor, type FakeCall, type SemanticHost } from '../../../src/host/fake/index.js'
import type { Host } from '../../../src/host/types.js'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'

export const NETNS = '/var/run/netns/tuning-test'
export const IFNAME = 'dummy0'
export const CID = 'dummy'
export const DATA_DIR = '/run/cni/tuning'
export const RECORD = `${DATA_DIR}/${CID}_${IFNAME}.json`

export interface LinkModel {
  address: string
  mtu: number
  promisc: boolean
  allmulti: boolean
  txqlen: number
}

export const ORIGINAL_LINK: LinkModel = { address: '7a:78:07:a0:68:4b', mtu: 1500, promisc: false, allmulti: false, txqlen: 1000 }
export const ORIGINAL_SYSCTLS: Record<string, string> = {
  'net/ipv4/conf/all/log_martians': '0',
  'net/ipv4/conf/dummy0/arp_filter': '0',
  'net/core/somaxconn': '4096',
}

export interface TuningHost extends Omit<SemanticHost, 'link'> {
  /** the pod interface's attributes, live (assigning changes the interface; undefined removes it) */
  link: LinkModel | undefined
  /** the pod netns's sysctls by "NETNS|key" (the recording fake's keys) */
  sysctls: { get(k: string): string | undefined; set(k: string, v: string): void; delete(k: string): boolean }
  /** the namespaces that exist (deleting one makes its path stop being a network namespace) */
  namespaces: { delete(path: string): boolean; clear(): void }
  /** the next call whose "tool args[@netns]" key starts with a prefix fails with stderr (sysctl: "sysctl KEY@NETNS") */
  failures: { set(prefix: string, stderr: string): void }
  sysctlIn(key: string): string | undefined
}

const callKey = (c: FakeCall): string => {
  const args = c.tool === 'sysctl' ? [(c.args as string[])[0] as string] : (c.args as string[])
  return keyFor(c.tool, args, c.netns)
}

/** tuningHost: the pod netns with its sysctls and the interface `ifname` (ORIGINAL_LINK unless given; `link: undefined` = none). */
export const tuningHost = (opts: { link?: LinkModel | undefined; sysctls?: Record<string, string>; ifname?: string } = {}): TuningHost => {
  const ifname = opts.ifname ?? IFNAME
  const fake = createSemanticHost()
  const linkOf = fake.link
  fake.addNamespace(NETNS)
  // `host.link = undefined` removes the interface but, as the recording fake did, keeps its sysctls
  // (on a kernel they go with it: tests that want that delete them, or use fake.removeLink)
  const setLink = (l: LinkModel | undefined): void => {
    const n = fake.world.namespaces.get(NETNS)
    const kept = [...(n?.sysctls ?? [])]
    if (linkOf(NETNS, ifname)) fake.removeLink(NETNS, ifname)
    if (l) fake.addLink(NETNS, { name: ifname, kind: 'device', address: l.address, mtu: l.mtu, promisc: l.promisc, allmulti: l.allmulti, txqlen: l.txqlen, up: true })
    for (const [k, v] of kept) n?.sysctls.set(k, v)
  }
  setLink('link' in opts ? opts.link : ORIGINAL_LINK)
  fake.setSysctls(NETNS, opts.sysctls ?? ORIGINAL_SYSCTLS)

  const live = (): LinkModel | undefined => {
    if (!linkOf(NETNS, ifname)) return undefined
    const view = {} as LinkModel
    for (const k of ['address', 'mtu', 'promisc', 'allmulti', 'txqlen'] as const) {
      Object.defineProperty(view, k, {
        enumerable: true,
        get: () => linkOf(NETNS, ifname)?.[k],
        set: (v: never) => { const l = linkOf(NETNS, ifname); if (l) l[k] = v },
      })
    }
    return view
  }
  const host = fake as unknown as TuningHost
  Object.defineProperty(host, 'link', { enumerable: true, get: live, set: setLink })
  const ns = (k: string): [string, string] => {
    const at = k.indexOf('|')
    return [k.slice(0, at), k.slice(at + 1)]
  }
  host.sysctls = {
    get: (k) => fake.sysctlValue(ns(k)[0] || undefined, ns(k)[1]),
    set: (k, v) => fake.setSysctls(ns(k)[0] || undefined, { [ns(k)[1]]: v }),
    delete: (k) => fake.world.namespaces.get(ns(k)[0])?.sysctls.delete(ns(k)[1]) ?? false,
  }
  host.namespaces = {
    delete: (path) => (fake.world.namespaces.has(path) && path !== '' ? (fake.removeNamespace(path), true) : false),
    clear: () => { for (const path of [...fake.world.namespaces.keys()]) if (path !== '') fake.removeNamespace(path) },
  }
  host.failures = { set: (prefix, stderr) => fake.failWhen((c) => callKey(c).startsWith(prefix), { stderr }) }
  host.sysctlIn = (k) => fake.sysctlValue(NETNS, k)
  return host
}

export interface CallOpts {
  ifname?: string
  containerId?: string
  netns?: string
  args?: string
}

/** call runs the tuning plugin for one verb through the real dispatcher with fake IO. */
export const call = async (host: Host, verb: string, conf: object | string, opts: CallOpts = {}): Promise<{ code: number; out: any; stdout: string }> => {
  let stdout = ''
  const env: Record<string, string> = {
    CNI_COMMAND: verb,
    CNI_CONTAINERID: opts.containerId ?? CID,
    CNI_NETNS: opts.netns ?? NETNS,
    CNI_IFNAME: opts.ifname ?? IFNAME,
    CNI_PATH: '/opt/cni/bin',
    ...(opts.args !== undefined ? { CNI_ARGS: opts.args } : {}),
  }
  const stdin = typeof conf === 'string' ? conf : JSON.stringify(conf)
  const code = await runPlugin(pluginFromMeta(tuningPlugin), {
    env,
    readStdin: async () => stdin,
    stdout: (t) => void (stdout += t),
    stderr: () => undefined,
  }, () => host)
  return { code, stdout, out: stdout.trim() === '' ? undefined : JSON.parse(stdout) }
}

/** prevResultFor is the reference test's prevResult in the shape of `version`. */
export const prevResultFor = (version: string): object => ({
  cniVersion: version,
  interfaces: [{ name: IFNAME, sandbox: NETNS }],
  ips: [{ ...(version.startsWith('0.') ? { version: '4' } : {}), address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
})

/** conf builds a tuning network config with prevResult. */
export const conf = (version: string, extra: object, withPrev = true): Record<string, unknown> => ({
  cniVersion: version,
  name: 'test-net',
  type: 'tuning',
  ...extra,
  ...(withPrev ? { prevResult: prevResultFor(version) } : {}),
})

/** changeCalls is the list of effects the host received (reads excluded). */
export const changeCalls = (host: TuningHost): unknown[] => host.calls.map((c) => [c.tool, c.args])
