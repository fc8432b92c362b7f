// Plans as JSON: exactly what ADD and DEL decide for a known host (no apply), so a change in the
// commands, their order or their undo shows up here.
import t from 'tap'
import { bandwidthPlugin } from '../../../meta-plugins/bandwidth/plugin.js'
import { ifbMac, ifbName } from '../../../meta-plugins/bandwidth/names.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import { CID, HOST_VETH, IFNAME, NETNS, NETWORK, RECORD, call, conf, podWorld } from './helpers.js'

const IFB = ifbName(NETWORK, CID)
const req = (c: Record<string, unknown>, command = 'ADD'): PluginRequest => ({
  env: { command, containerId: CID, netns: NETNS, ifname: IFNAME, args: '', path: ['/opt/cni/bin'] } as unknown as PluginRequest['env'],
  conf: c as PluginRequest['conf'],
  stdin: JSON.stringify(c),
})

t.test('ADD from containerd (PascalCase, sentinel bursts): defaults, clsact created, redirect last', async (t) => {
  const host = podWorld()
  const c = conf({ runtimeConfig: { bandwidth: { IngressRate: 10_000_000, IngressBurst: 4294967295, EgressRate: 20_000_000, EgressBurst: 4294967295 } } })
  const plan = await bandwidthPlugin.plan('ADD', req(c), host)
  const ifindex = host.link(undefined, HOST_VETH)!.ifindex
  t.same(plan.steps, [
    {
      kind: 'write-file', path: RECORD, mode: 0o600, undo: [{ kind: 'remove-file', path: RECORD }],
      content: JSON.stringify({ network: NETWORK, containerId: CID, ifname: IFNAME, hostVeth: { name: HOST_VETH, ifindex }, rootTbf: true, ifb: IFB, clsact: true }),
    },
    { kind: 'ip', args: ['link', 'add', 'name', IFB, 'mtu', '1500', 'address', ifbMac(IFB), 'txqueuelen', '0', 'type', 'ifb'], undo: [{ kind: 'ip', args: ['link', 'del', 'dev', IFB] }] },
    { kind: 'ip', args: ['link', 'set', 'dev', IFB, 'up'] },
    {
      kind: 'tc', args: ['qdisc', 'replace', 'dev', HOST_VETH, 'root', 'handle', 'bd00:', 'tbf', 'rate', '1250000bps', 'burst', '12500', 'limit', '75000'],
      undo: [{ kind: 'tc', args: ['qdisc', 'del', 'dev', HOST_VETH, 'root'] }],
    },
    { kind: 'tc', args: ['qdisc', 'replace', 'dev', IFB, 'root', 'handle', 'bd00:', 'tbf', 'rate', '2500000bps', 'burst', '25000', 'limit', '150000'] },
    { kind: 'tc', args: ['qdisc', 'add', 'dev', HOST_VETH, 'clsact'], undo: [{ kind: 'tc', args: ['qdisc', 'del', 'dev', HOST_VETH, 'clsact'] }] },
    {
      kind: 'tc', args: ['filter', 'add', 'dev', HOST_VETH, 'ingress', 'pref', '65000', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', IFB],
      undo: [{ kind: 'tc', args: ['filter', 'del', 'dev', HOST_VETH, 'ingress', 'pref', '65000'] }],
    },
  ])
  t.same(plan.result?.interfaces?.at(-1), { name: IFB, mac: ifbMac(IFB) })
  t.same(host.calls, [], 'planning changed nothing')
})

t.test('ADD with nothing configured passes prevResult through and plans nothing', async (t) => {
  const host = podWorld()
  const c = conf({})
  const plan = await bandwidthPlugin.plan('ADD', req(c), host)
  t.same(plan, { steps: [], result: c.prevResult })
  t.same(host.reads, [], 'not even a read')
})

t.test('DEL after ADD: redirect, root tbf, clsact (ours, empty), then the ifb, then the record', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf({ ingressRate: 8000, ingressBurst: 800, egressRate: 8000, egressBurst: 800 }))).code, 0)
  const plan = await bandwidthPlugin.plan('DEL', req(conf({}, { withPrev: false }), 'DEL'), host)
  t.same(plan.steps, [
    { kind: 'tc', args: ['filter', 'del', 'dev', HOST_VETH, 'ingress', 'pref', '65000'] },
    { kind: 'tc', args: ['qdisc', 'del', 'dev', HOST_VETH, 'root'] },
    { kind: 'tc', args: ['qdisc', 'del', 'dev', HOST_VETH, 'clsact'] },
    { kind: 'ip', args: ['link', 'del', 'dev', IFB] },
    { kind: 'remove-file', path: RECORD },
  ])
})
