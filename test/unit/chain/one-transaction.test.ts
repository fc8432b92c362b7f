// The shipped `chain` plugin with tuning, portmap, bandwidth and firewall (in that order) on the
// semantic fake: ADD and DEL each commit ONE nft transaction holding portmap's and firewall's work
// (bandwidth's ip/tc steps sit between them in the list, DEL runs in reverse), and the machine ends
// up exactly as when the four standalone plugins run one after the other.
import t from 'tap'
import { builtinMeta } from '../../../chain/builtins.js'
import { TABLE as FIREWALL } from '../../../meta-plugins/firewall/layout.js'
import { TABLE as PORTMAP } from '../../../meta-plugins/portmap/layout.js'
import { createChainPlugin } from '../../../chain/plugin/definition.js'
import { externalRunner } from '../../../chain/runner.js'
import { createSemanticHost, type SemanticHost } from '../../../src/host/fake/index.js'
import type { NftCommand } from '../../../src/nft/types.js'
import { pluginFromMeta, type MetaPlugin } from '../../../src/plan/meta-plugin.js'
import type { PluginDefinition } from '../../../src/skel/plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'

const PLUGINS = [
  { type: 'tuning', mtu: 1400 },
  { type: 'portmap', capabilities: { portMappings: true } },
  { type: 'bandwidth', ingressRate: 8000, ingressBurst: 800, egressRate: 8000, egressBurst: 800 },
  { type: 'firewall', backend: 'nftables' },
]
const netns = (n: number) => `/var/run/netns/p${n}`
const prevResult = (n: number) => ({
  cniVersion: '1.1.0',
  interfaces: [{ name: 'cni0' }, { name: `veth${n}` }, { name: 'eth0', sandbox: netns(n) }],
  ips: [{ address: `10.0.0.${n + 1}/24`, gateway: '10.0.0.1', interface: 2 }],
})
const runtimeConfig = (n: number) => ({ portMappings: [{ hostPort: 8000 + n, containerPort: 80, protocol: 'tcp' }] })

/** a host that counts the nft transactions that took effect */
const world = () => {
  const host = createSemanticHost()
  const committed: NftCommand[][] = []
  const apply = host.nft.apply
  host.nft.apply = async (batch) => {
    await apply(batch)
    committed.push(batch)
  }
  return { host, committed }
}

const addPod = (host: SemanticHost, n: number): void => {
  host.addNamespace(netns(n))
  host.addVethPair({ ns: undefined, name: `veth${n}`, up: true }, { ns: netns(n), name: 'eth0', up: true })
}

const call = async (plugin: PluginDefinition, host: SemanticHost, verb: string, n: number, conf: object) => {
  let out = ''
  const code = await runPlugin(plugin, {
    env: { CNI_COMMAND: verb, CNI_CONTAINERID: `c${n}`, CNI_NETNS: netns(n), CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (s) => void (out += s),
    stderr: () => undefined,
  }, () => host)
  if (code !== 0) throw new Error(`${verb} ${n}: ${out}`)
  return out ? JSON.parse(out) : undefined
}

const chain = createChainPlugin({ builtin: builtinMeta, runner: externalRunner(() => {}), warn: () => {} })
const chainCall = (host: SemanticHost, verb: string, n: number) =>
  call(chain, host, verb, n, { cniVersion: '1.1.0', name: 'net', type: 'chain', plugins: PLUGINS, prevResult: prevResult(n), runtimeConfig: runtimeConfig(n) })

/** the four plugins standalone, as a runtime runs the list: ADD in order threading prevResult, DEL in reverse */
const standalone = async (host: SemanticHost, verb: 'ADD' | 'DEL', n: number) => {
  let prev: object = prevResult(n)
  for (const p of verb === 'ADD' ? PLUGINS : [...PLUGINS].reverse()) {
    const meta = builtinMeta(p.type) as MetaPlugin
    const conf = { cniVersion: '1.1.0', name: 'net', ...p, prevResult: prev, ...(p.type === 'portmap' ? { runtimeConfig: runtimeConfig(n) } : {}) }
    const out = await call(pluginFromMeta(meta, () => {}), host, verb, n, conf)
    if (verb === 'ADD') prev = out
  }
}

const tablesIn = (batch: NftCommand[]): string[] =>
  [...new Set(batch.flatMap((c) => Object.values(c).flatMap((o) => Object.values(o as object).map((x) => (x as { table?: string; name?: string }).table ?? (x as { name: string }).name))))].sort()

t.test('ADD and DEL of each pod commit one nft transaction for portmap and firewall', async (t) => {
  const { host, committed } = world()
  const seen: string[] = []
  for (const [verb, n] of [['ADD', 1], ['ADD', 2], ['DEL', 2], ['DEL', 1]] as const) {
    if (verb === 'ADD') addPod(host, n)
    committed.length = 0
    await chainCall(host, verb, n)
    seen.push(`${verb} ${n}: ${committed.map((b) => tablesIn(b).join('+')).join(', ')}`)
  }
  const both = [FIREWALL.table, PORTMAP.table].sort().join('+')
  t.same(seen, [`ADD 1: ${both}`, `ADD 2: ${both}`, `DEL 2: ${both}`, `DEL 1: ${both}`])
})

t.test('the chain leaves the machine as the four standalone plugins do', async (t) => {
  const a = world().host
  const b = world().host
  for (const h of [a, b]) for (const n of [1, 2]) addPod(h, n)
  t.same(b.snapshot(), a.snapshot())
  for (const n of [1, 2]) {
    await chainCall(a, 'ADD', n)
    await standalone(b, 'ADD', n)
    t.same(a.snapshot(), b.snapshot(), `after ADD ${n}`)
  }
  for (const n of [2, 1]) {
    await chainCall(a, 'DEL', n)
    await standalone(b, 'DEL', n)
    t.same(a.snapshot(), b.snapshot(), `after DEL ${n}`)
  }
})
