// Test helpers for tuning: a FakeHost whose pod interface keeps state (ip link set changes what
// `ip -j -d link show` answers), a counter of host reads, and runPlugin with fake IO.
import { createFakeHost, keyFor, type FakeHost } from '../../../src/host/fake.js'
import { HostError, type Host } from '../../../src/host/types.js'
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

export interface TuningHost extends FakeHost {
  link: LinkModel | undefined
  /** every read through the host (sysctl.read, ip.json, files.read/list, netns.exists) */
  reads: string[]
  sysctlIn(key: string): string | undefined
}

/** tuningHost builds a FakeHost with the pod netns, its sysctls and a stateful `dummy0`. */
export const tuningHost = (opts: { link?: LinkModel | undefined; sysctls?: Record<string, string>; ifname?: string } = {}): TuningHost => {
  const ifname = opts.ifname ?? IFNAME
  const host = createFakeHost() as TuningHost
  host.link = 'link' in opts ? opts.link && { ...opts.link } : { ...ORIGINAL_LINK }
  host.reads = []
  host.namespaces.add(NETNS)
  for (const [k, v] of Object.entries(opts.sysctls ?? ORIGINAL_SYSCTLS)) host.sysctls.set(`${NETNS}|${k}`, v)
  host.sysctlIn = (k) => host.sysctls.get(`${NETNS}|${k}`)
  const showKey = keyFor('ip', ['-j', '-d', 'link', 'show', 'dev', ifname], NETNS)
  const publish = (): void => {
    const l = host.link
    if (!l) return void host.responses.delete(showKey)
    const flags = ['BROADCAST', 'MULTICAST', ...(l.allmulti ? ['ALLMULTI'] : []), ...(l.promisc ? ['PROMISC'] : []), 'UP', 'LOWER_UP']
    // like iproute2, no txqlen key when it is 0
    host.responses.set(showKey, [{ ifindex: 2, ifname, flags, mtu: l.mtu, ...(l.txqlen ? { txqlen: l.txqlen } : {}), address: l.address, min_mtu: 68, max_mtu: 65535 }])
  }
  publish()
  const run = host.ip.run
  // one command at a time so each success changes the model; failures are reported like a batch
  host.ip.run = async (commands, netns, opts) => {
    let firstError: unknown
    for (const [i, c] of commands.entries()) {
      try {
        await run([c], netns) // records, and throws where a failure was planted
        applyLinkSet(host, ifname, c, netns)
        publish()
      } catch (err) {
        const e = err instanceof HostError && commands.length > 1 ? new HostError('ip', c, `${err.stderr}\nCommand failed -:${i + 1}`) : err
        if (!opts?.continueOnError) throw e
        firstError ??= e
      }
    }
    if (firstError) throw firstError
  }
  const json = host.ip.json
  host.ip.json = async <T>(args: string[], netns?: string): Promise<T> => {
    host.reads.push(keyFor('ip', ['-j', ...args], netns))
    publish()
    return json<T>(args, netns)
  }
  const sysRead = host.sysctl.read
  host.sysctl.read = async (keys, netns) => {
    host.reads.push(keyFor('sysctl', keys, netns))
    return sysRead(keys, netns)
  }
  const fread = host.files.read
  host.files.read = async (p) => {
    host.reads.push(`files read ${p}`)
    return fread(p)
  }
  const flist = host.files.list
  host.files.list = async (d) => {
    host.reads.push(`files list ${d}`)
    return flist(d)
  }
  const exists = host.netns.exists
  host.netns.exists = async (p) => {
    host.reads.push(`netns exists ${p}`)
    return exists(p)
  }
  return host
}

const applyLinkSet = (host: TuningHost, ifname: string, c: string[], netns?: string): void => {
  const [link, set, dev, name, attr, value] = c
  if (link !== 'link' || set !== 'set' || dev !== 'dev' || name !== ifname || netns !== NETNS) return
  const l = host.link
  if (!l) throw new Error(`fake: Cannot find device "${ifname}"`)
  if (attr === 'address') l.address = value as string
  else if (attr === 'mtu') l.mtu = Number(value)
  else if (attr === 'promisc') l.promisc = value === 'on'
  else if (attr === 'allmulticast') l.allmulti = value === 'on'
  else if (attr === 'txqueuelen') l.txqlen = Number(value)
  else throw new Error(`fake: unknown attribute ${String(attr)}`)
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
export const changeCalls = (host: FakeHost): unknown[] => host.calls.map((c) => [c.tool, c.args])
