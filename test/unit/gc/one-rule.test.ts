// The one GC rule (src/cni/gc.ts), the same in every plugin that keeps per-attachment state and
// in the `chain` plugin: a GC without `cni.dev/valid-attachments` removes nothing and says so on
// stderr; an empty list removes this network's attachments (other networks' stay); a list keeps
// the listed ones. `cni.dev/attachments` is read as the same list. Run on the semantic fake
// through the real dispatcher, after real ADDs of three attachments (two of this network).
import t, { type Test } from 'tap'
import { createChainPlugin } from '../../../chain/plugin/definition.js'
import { builtinMeta } from '../../../chain/builtins.js'
import { externalRunner } from '../../../chain/runner.js'
import { ifbName } from '../../../meta-plugins/bandwidth/names.js'
import { bandwidthPlugin } from '../../../meta-plugins/bandwidth/plugin.js'
import * as fwLayout from '../../../meta-plugins/firewall/layout.js'
import { firewallPlugin } from '../../../meta-plugins/firewall/plugin.js'
import * as pmLayout from '../../../meta-plugins/portmap/layout.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'
import { recordFileNames } from '../../../meta-plugins/tuning/record.js'
import { NO_GC_LIST_NOTE } from '../../../src/cni/gc.js'
import { createSemanticHost, type SemanticHost } from '../../../src/host/fake/index.js'
import { listedChains } from '../../../src/nft/read.js'
import type { TableRef } from '../../../src/nft/build.js'
import { pluginFromMeta, type MetaPlugin, type Warn } from '../../../src/plan/meta-plugin.js'
import type { PluginDefinition } from '../../../src/skel/plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'

const NET = 'gcnet'
const OTHER = 'othernet'
const PODS = [
  { cid: 'c1', network: NET, n: 1 },
  { cid: 'c2', network: NET, n: 2 },
  { cid: 'c3', network: OTHER, n: 3 },
] as const
type Pod = (typeof PODS)[number]

const netnsOf = (p: Pod): string => `/var/run/netns/${p.cid}`
const vethOf = (p: Pod): string => `veth${p.cid}`

const prevResult = (p: Pod): object => ({
  cniVersion: '1.1.0',
  interfaces: [{ name: 'cni0' }, { name: vethOf(p) }, { name: 'eth0', sandbox: netnsOf(p) }],
  ips: [{ address: `10.0.0.${p.n + 1}/24`, gateway: '10.0.0.1', interface: 2 }],
})

/** one plugin under test: its conf (without prevResult) and whether an attachment's objects exist */
interface Subject {
  meta?: MetaPlugin
  conf: Record<string, unknown>
  /** the chain plugin: built here so its warnings can be collected */
  chain?: boolean
  has: (host: SemanticHost, p: Pod) => Promise<boolean>
}

const chainsOf = async (host: SemanticHost, t: TableRef): Promise<string[]> => listedChains((await host.nft.list(['table', t.family, t.table])) ?? [])

const hasTuning = async (host: SemanticHost, p: Pod): Promise<boolean> => {
  for (const name of recordFileNames(p.cid, 'eth0')) if ((await host.files.read(`/run/cni/tuning/${name}`)) !== undefined) return true
  return false
}
const hasPortmap = async (host: SemanticHost, p: Pod): Promise<boolean> =>
  (await chainsOf(host, pmLayout.TABLE)).includes(pmLayout.podChainName(p.network, p.cid, 'eth0'))
const hasBandwidth = async (host: SemanticHost, p: Pod): Promise<boolean> => host.link(undefined, ifbName(p.network, p.cid)) !== undefined
const hasFirewall = async (host: SemanticHost, p: Pod): Promise<boolean> =>
  (await chainsOf(host, fwLayout.TABLE)).includes(fwLayout.podChainName(p.network, p.cid, 'eth0'))

const TUNING = { type: 'tuning', mtu: 1400 }
const PORTMAP = { type: 'portmap', capabilities: { portMappings: true } }
const BANDWIDTH = { type: 'bandwidth', ingressRate: 8000, ingressBurst: 800, egressRate: 8000, egressBurst: 800 }
const FIREWALL = { type: 'firewall', backend: 'nftables' }

const SUBJECTS: Record<string, Subject> = {
  tuning: { meta: tuningPlugin, conf: TUNING, has: hasTuning },
  portmap: { meta: portmapPlugin, conf: PORTMAP, has: hasPortmap },
  bandwidth: { meta: bandwidthPlugin, conf: BANDWIDTH, has: hasBandwidth },
  firewall: { meta: firewallPlugin, conf: FIREWALL, has: hasFirewall },
  chain: {
    chain: true,
    conf: { type: 'chain', plugins: [TUNING, PORTMAP, BANDWIDTH, FIREWALL] },
    has: async (host, p) => {
      const all = await Promise.all([hasTuning, hasPortmap, hasBandwidth, hasFirewall].map((f) => f(host, p)))
      if (all.every(Boolean)) return true
      if (all.some(Boolean)) throw new Error(`attachment ${p.cid} is partly there: ${JSON.stringify(all)}`)
      return false
    },
  },
}

const definitionOf = (s: Subject, warn: Warn): PluginDefinition =>
  s.chain ? createChainPlugin({ builtin: builtinMeta, runner: externalRunner(() => {}), warn }) : pluginFromMeta(s.meta as MetaPlugin, warn)

/** call runs one verb through the dispatcher; returns the exit code, stdout and the warnings printed */
const call = async (s: Subject, host: SemanticHost, verb: string, p: Pod, conf: object) => {
  let stdout = ''
  const warnings: string[] = []
  const code = await runPlugin(definitionOf(s, (w) => void warnings.push(w)), {
    env: { CNI_COMMAND: verb, CNI_CONTAINERID: p.cid, CNI_NETNS: netnsOf(p), CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (text) => void (stdout += text),
    stderr: () => undefined,
  }, () => host)
  return { code, stdout, warnings }
}

/** world: three pods wired to the host by veths, each ADDed with `s` */
const world = async (t: Test, s: Subject): Promise<SemanticHost> => {
  const host = createSemanticHost()
  for (const p of PODS) {
    host.addNamespace(netnsOf(p))
    host.addVethPair({ ns: undefined, name: vethOf(p), up: true }, { ns: netnsOf(p), name: 'eth0', up: true })
    const conf = {
      cniVersion: '1.1.0', name: p.network, ...s.conf, prevResult: prevResult(p),
      runtimeConfig: { portMappings: [{ hostPort: 8000 + p.n, containerPort: 80, protocol: 'tcp' }] },
    }
    const r = await call(s, host, 'ADD', p, conf)
    t.equal(r.code, 0, `ADD ${p.cid}: ${r.stdout}`)
  }
  for (const p of PODS) t.ok(await s.has(host, p), `${p.cid} made its objects`)
  return host
}

const gc = (s: Subject, host: SemanticHost, keys: object) =>
  call(s, host, 'GC', PODS[0], { cniVersion: '1.1.0', name: NET, ...s.conf, ...keys })

const present = async (s: Subject, host: SemanticHost): Promise<string[]> => {
  const out: string[] = []
  for (const p of PODS) if (await s.has(host, p)) out.push(p.cid)
  return out
}

for (const [name, s] of Object.entries(SUBJECTS)) {
  t.test(name, async (t) => {
    t.test('no list: nothing removed, and a note on stderr', async (t) => {
      const host = await world(t, s)
      const before = host.snapshot()
      const r = await gc(s, host, {})
      t.equal(r.code, 0, r.stdout)
      t.same(host.snapshot(), before, 'the host is as it was')
      t.ok(r.warnings.length > 0 && r.warnings.every((w) => w.endsWith(NO_GC_LIST_NOTE)), `the note: ${JSON.stringify(r.warnings)}`)
    })
    t.test('an empty list: this network\'s attachments go, the other network\'s stay', async (t) => {
      const host = await world(t, s)
      const r = await gc(s, host, { 'cni.dev/valid-attachments': [] })
      t.equal(r.code, 0, r.stdout)
      t.same(await present(s, host), ['c3'])
      t.same(r.warnings, [], 'no note')
    })
    t.test('a list keeps the listed (either spelling)', async (t) => {
      for (const key of ['cni.dev/valid-attachments', 'cni.dev/attachments']) {
        const host = await world(t, s)
        const r = await gc(s, host, { [key]: [{ containerID: 'c1', ifname: 'eth0' }] })
        t.equal(r.code, 0, r.stdout)
        t.same(await present(s, host), ['c1', 'c3'], key)
      }
    })
  })
}
