// A small stateful host for the tuning tests of record names and DEL's best effort, built on the
// recording FakeHost: one pod interface whose `ip link set` changes what `ip -j -d link show`
// answers (a kernel-like range check on the MTU), sysctls in the pod netns, and an optional real
// file seam (so file-name limits are the kernel's). runTuning calls the plugin through the
// dispatcher and collects stdout and the warnings (stderr).
import { createFakeHost, keyFor, type FakeHost } from '../../../src/host/fake.js'
import { HostError, type FileHost, type Host } from '../../../src/host/types.js'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'

export const NETNS = '/var/run/netns/pod'
export const IFNAME = 'eth0'

export interface Link { address: string; mtu: number; promisc: boolean; allmulti: boolean; txqlen: number }
export const ORIGINAL: Link = { address: '7a:78:07:a0:68:4b', mtu: 1500, promisc: false, allmulti: false, txqlen: 1000 }

export interface PodHost extends FakeHost { link: Link }

/**
 * podHost: the pod netns with IFNAME (ORIGINAL with `link` over it, MTU range 68-65535) and the
 * given sysctls; `files` replaces the file seam.
 */
export const podHost = (sysctls: Record<string, string> = {}, files?: FileHost, link: Partial<Link> = {}): PodHost => {
  const host = createFakeHost() as PodHost
  host.link = { ...ORIGINAL, ...link }
  host.namespaces.add(NETNS)
  for (const [k, v] of Object.entries(sysctls)) host.sysctls.set(`${NETNS}|${k}`, v)
  const show = keyFor('ip', ['-j', '-d', 'link', 'show', 'dev', IFNAME], NETNS)
  const publish = (): void => {
    const l = host.link
    const flags = [...(l.promisc ? ['PROMISC'] : []), ...(l.allmulti ? ['ALLMULTI'] : []), 'UP']
    host.responses.set(show, [{ ifname: IFNAME, address: l.address, mtu: l.mtu, flags, txqlen: l.txqlen, min_mtu: 68, max_mtu: 65535 }])
  }
  publish()
  const run = host.ip.run
  host.ip.run = async (commands, netns, opts) => {
    let first: unknown
    for (const [i, c] of commands.entries()) {
      try {
        await run([c], netns)
        set(host.link, c)
        publish()
      } catch (err) {
        const e = err instanceof HostError && commands.length > 1 ? new HostError('ip', c, `${err.stderr}\nCommand failed -:${i + 1}`) : err
        if (!opts?.continueOnError) throw e
        first ??= e
      }
    }
    if (first) throw first
  }
  if (files) Object.assign(host, { files })
  return host
}

const set = (l: Link, c: string[]): void => {
  const [, , , , attr, value = ''] = c
  if (attr === 'mtu') {
    if (Number(value) < 68 || Number(value) > 65535) throw new HostError('ip', c, 'Error: mtu greater than device maximum.')
    l.mtu = Number(value)
  } else if (attr === 'address') l.address = value
  else if (attr === 'promisc') l.promisc = value === 'on'
  else if (attr === 'allmulticast') l.allmulti = value === 'on'
  else if (attr === 'txqueuelen') l.txqlen = Number(value)
}

/** runTuning runs one verb; returns the exit code, the parsed stdout and the warnings. */
export const runTuning = async (host: Host, verb: string, conf: object, containerId = 'c1') => {
  let stdout = ''
  const warnings: string[] = []
  const code = await runPlugin(pluginFromMeta(tuningPlugin, (w) => void warnings.push(w)), {
    env: { CNI_COMMAND: verb, CNI_CONTAINERID: containerId, CNI_NETNS: NETNS, CNI_IFNAME: IFNAME, CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (t) => void (stdout += t),
    stderr: () => {},
  }, () => host)
  return { code, out: stdout.trim() ? JSON.parse(stdout) : undefined, warnings }
}

/** tuningConf: a 1.1.0 tuning config with prevResult. */
export const tuningConf = (extra: object, dataDir?: string): Record<string, unknown> => ({
  cniVersion: '1.1.0', name: 'net1', type: 'tuning', ...(dataDir ? { dataDir } : {}), ...extra,
  prevResult: { cniVersion: '1.1.0', interfaces: [{ name: IFNAME, sandbox: NETNS }], ips: [{ address: '10.0.0.2/24', interface: 0 }] },
})
