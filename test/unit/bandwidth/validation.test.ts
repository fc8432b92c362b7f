// Refusals through the dispatcher: each is a CNI error JSON with its code, and the host is not
// changed (a snapshot before equals the one after).
import t from 'tap'
import { CID, HOST_VETH, NETNS, NETWORK, call, conf, hostState, podWorld } from './helpers.js'
import { ifbName } from '../../../meta-plugins/bandwidth/names.js'

const BOTH = { ingressRate: 8000, ingressBurst: 800, egressRate: 8000, egressBurst: 800 }

const refused = (name: string, setup: (h: ReturnType<typeof podWorld>) => Promise<void> | void, stdin: object, code: number, msg: RegExp, env = {}) =>
  t.test(name, async (t) => {
    const host = podWorld()
    await setup(host)
    const before = hostState(host)
    const r = await call(host, 'ADD', stdin, env)
    t.equal(r.code, 1, 'non-zero exit')
    t.equal(r.out.code, code, r.stdout)
    t.match(`${r.out.msg}: ${r.out.details ?? ''}`, msg)
    t.same(hostState(host), before, 'nothing changed')
  })

const none = (): void => undefined

refused('burst without rate', none, conf({ ingressBurst: 8 }), 7, /if burst is set, rate must also be set/)
refused('an invalid annotation names it', none, conf({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/ingress-bandwidth': '10Q' } } }), 7, /kubernetes.io\/ingress-bandwidth/)
refused('no prevResult', none, conf(BOTH, { withPrev: false }), 7, /Required prevResult missing/)
refused('a macvlan-like pod interface (not a veth)', (h) => {
  h.addLink(NETNS, { name: 'net1', kind: 'device', up: true })
}, conf(BOTH), 7, /host end of a veth; interface "net1" .* is not a veth/, { ifname: 'net1' })
refused('a veth whose peer is inside the pod', (h) => {
  h.addVethPair({ ns: NETNS, name: 'va' }, { ns: NETNS, name: 'vb' })
}, conf(BOTH), 7, /peer of "va" .* same namespace/, { ifname: 'va' })
refused('a veth whose peer is in a third namespace', (h) => {
  h.addNamespace('/var/run/netns/third')
  h.addVethPair({ ns: '/var/run/netns/third', name: 'vx' }, { ns: NETNS, name: 'net2' })
}, conf(BOTH), 7, /is not in the namespace bandwidth runs in/, { ifname: 'net2' })
refused('no such interface in the pod', none, conf(BOTH), 4, /invalid CNI_IFNAME/, { ifname: 'nope0' })
refused('no such netns', none, conf(BOTH), 4, /invalid CNI_NETNS/, { netns: '/var/run/netns/gone' })
refused('a foreign root qdisc on the host veth', async (h) => {
  await h.tc.run([['qdisc', 'add', 'dev', HOST_VETH, 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '10k', 'limit', '20k']])
}, conf(BOTH), 7, /already has a root qdisc \(tbf 1:\)/)
refused('someone else at our filter priority', async (h) => {
  await h.tc.run([['qdisc', 'add', 'dev', HOST_VETH, 'clsact'], ['filter', 'add', 'dev', HOST_VETH, 'ingress', 'pref', '65000', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0']])
}, conf(BOTH), 7, /priority 65000 on the ingress hook of veth0a1b2c3d is used by another filter/)

t.test('the reference ifb name held by something else: the next candidate, collision-free', async (t) => {
  const host = podWorld()
  host.addLink(undefined, { name: ifbName(NETWORK, CID), kind: 'ifb' })
  const r = await call(host, 'ADD', conf(BOTH))
  t.equal(r.code, 0, r.stdout)
  const second = ifbName(NETWORK, CID, 1)
  t.not(second, ifbName(NETWORK, CID))
  t.ok(second.length <= 15 && second.startsWith('bwp'))
  t.equal(r.out.interfaces.at(-1).name, second)
  t.ok(host.link(undefined, second))
  t.equal((await call(host, 'CHECK', conf(BOTH))).code, 0, 'CHECK follows the record')
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.notOk(host.link(undefined, second), 'ours is gone')
  t.ok(host.link(undefined, ifbName(NETWORK, CID)), 'the other one stays')
})

t.test('the pod interface found through the kernel, whatever prevResult lists', async (t) => {
  const host = podWorld()
  const stdin = conf(BOTH)
  ;(stdin.prevResult as { interfaces: unknown[] }).interfaces = [{ name: 'eth0', sandbox: NETNS }]
  const r = await call(host, 'ADD', stdin)
  t.equal(r.code, 0, r.stdout)
  t.match((await host.tc.json<any[]>(['qdisc', 'show', 'dev', HOST_VETH]))[0], { kind: 'tbf' }, 'shaped on the real peer (amazon-vpc-cni lists no host interface)')
})

t.test('DEL with invalid rates still cleans up', async (t) => {
  const host = podWorld()
  const before = hostState(host)
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  const r = await call(host, 'DEL', conf({ ingressBurst: 8 }, { withPrev: false }))
  t.equal(r.code, 0, r.stdout)
  t.same(hostState(host), before)
})

t.test('a 300-character container id: a hashed record name that fits, full names inside', async (t) => {
  const host = podWorld()
  const before = hostState(host)
  const id = 'c'.repeat(300)
  t.equal((await call(host, 'ADD', conf(BOTH), { containerId: id })).code, 0)
  const names = await host.files.list('/run/cni/bandwidth')
  t.match(names, [/^~[0-9a-f]{32}\.json$/])
  t.equal(JSON.parse((await host.files.read(`/run/cni/bandwidth/${names[0]}`)) as string).containerId, id)
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }), { containerId: id })).code, 0)
  t.same(hostState(host), before)
})
