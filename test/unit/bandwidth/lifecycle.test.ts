// ADD → CHECK → DEL on the semantic fake: what ADD installs (tbfs, clsact, redirect, ifb, record,
// result), that DEL leaves the host exactly as before, idempotence, rollback, and sharing the
// host veth's clsact with someone else's filter.
import t from 'tap'
import { CID, HOST_VETH, hostState, IFNAME, NETNS, NETWORK, RECORD, call, conf, ingressFilters, podWorld, qdiscs } from './helpers.js'
import { ifbMac, ifbName } from '../../../meta-plugins/bandwidth/names.js'

const IFB = ifbName(NETWORK, CID)
const BOTH = { ingressRate: 20_000_000, ingressBurst: 400_000, egressRate: 10_000_000, egressBurst: 200_000 }

t.test('ADD shapes both ways, lists the ifb, records first; DEL leaves the host as it was', async (t) => {
  const host = podWorld()
  const before = hostState(host)
  const add = await call(host, 'ADD', conf(BOTH))
  t.equal(add.code, 0, add.stdout)
  t.same(add.out.interfaces.at(-1), { name: IFB, mac: ifbMac(IFB) }, 'the ifb is the last interface, no sandbox')
  t.equal(add.out.interfaces.length, 4)
  t.equal(IFB, 'bwpea62040b30ca', "the reference's name: bwp + sha512(network + containerID)[:12]")
  t.match(await qdiscs(host, HOST_VETH), [
    { kind: 'tbf', handle: 'bd00:', root: true, options: { rate: 2_500_000, burst: 50_000 } },
    { kind: 'clsact', handle: 'ffff:' },
  ])
  t.match(await qdiscs(host, IFB), [{ kind: 'tbf', handle: 'bd00:', root: true, options: { rate: 1_250_000, burst: 25_000 } }])
  t.match(await ingressFilters(host, HOST_VETH), [
    { pref: 65000, kind: 'u32' }, { pref: 65000 },
    { pref: 65000, options: { actions: [{ kind: 'mirred', mirred_action: 'redirect', direction: 'egress', to_dev: IFB }] } },
  ])
  const ifb = host.link(undefined, IFB)
  t.match(ifb, { kind: 'ifb', up: true, mtu: 1500, txqlen: 0, address: ifbMac(IFB) })
  t.same(host.calls[0], { tool: 'files', args: ['write', RECORD] }, 'the record is written before any change')
  t.same(JSON.parse(host.files.read !== undefined ? (await host.files.read(RECORD)) as string : ''), {
    network: NETWORK, containerId: CID, ifname: IFNAME, hostVeth: { name: HOST_VETH, ifindex: host.link(undefined, HOST_VETH)!.ifindex },
    rootTbf: true, ifb: IFB, clsact: true,
  })
  t.same(new Set(host.calls.map((c) => c.tool)), new Set(['files', 'ip', 'tc']))
  t.equal((await call(host, 'CHECK', conf(BOTH))).code, 0, 'CHECK passes')

  const del = await call(host, 'DEL', conf(BOTH, { withPrev: false }))
  t.equal(del.code, 0, del.stdout)
  t.same(hostState(host), before, 'no tbf, no filter, no clsact, no ifb, no record')
  const calls = host.calls.length
  t.equal((await call(host, 'DEL', conf(BOTH, { withPrev: false }))).code, 0, 'DEL again succeeds')
  t.same(host.calls.slice(calls).map((c) => [c.tool, (c.args as unknown[])[0]]), [['files', 'remove']], '...only removes the (absent) record path again')
  t.same(hostState(host), before, '...and changes nothing')
})

t.test('one process per tool and namespace: the record, one ip batch, one tc batch', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  const tools = host.calls.map((c) => c.tool)
  t.same(tools, ['files', 'ip', 'ip', 'tc', 'tc', 'tc', 'tc'], 'ip link add + up; root tbf, ifb tbf, clsact, filter')
  t.same(host.calls.map((c) => c.netns ?? ''), tools.map(() => ''), 'all in the host namespace')
})

t.test('only ingress: a root tbf, no ifb, no clsact; only egress: no root tbf', async (t) => {
  const host = podWorld()
  const before = hostState(host)
  const add = await call(host, 'ADD', conf({ ingressRate: 8000, ingressBurst: 80 }))
  t.equal(add.code, 0, add.stdout)
  t.equal(add.out.interfaces.length, 3, 'no ifb in the result')
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'tbf', options: { rate: 1000 } }])
  t.equal((await qdiscs(host, HOST_VETH)).length, 1, 'no clsact')
  t.notOk(host.link(undefined, IFB), 'no ifb')
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.same(hostState(host), before)

  const eg = await call(host, 'ADD', conf({ egressRate: 8000, egressBurst: 80 }))
  t.equal(eg.code, 0, eg.stdout)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'noqueue' }, { kind: 'clsact' }])
  t.ok(host.link(undefined, IFB))
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.same(hostState(host), before)
})

t.test('ADD again on the same veth replaces in place; DEL then cleans everything', async (t) => {
  const host = podWorld()
  const before = hostState(host)
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  const again = await call(host, 'ADD', conf({ ...BOTH, ingressRate: 40_000_000 }))
  t.equal(again.code, 0, again.stdout)
  t.equal(again.out.interfaces.filter((i: any) => i.name === IFB).length, 1, 'the ifb once in the result')
  t.match(await qdiscs(host, HOST_VETH), [{ options: { rate: 5_000_000 } }, { kind: 'clsact' }])
  t.equal((await ingressFilters(host, HOST_VETH)).length, 3, 'still one filter of ours')
  t.equal(JSON.parse((await host.files.read(RECORD)) as string).clsact, true, 'still ours to remove')
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.same(hostState(host), before)
})

t.test("another's clsact filter is shared, kept and clsact stays; an existing clsact is not ours", async (t) => {
  const host = podWorld()
  await host.tc.run([['qdisc', 'add', 'dev', HOST_VETH, 'clsact'],
    ['filter', 'add', 'dev', HOST_VETH, 'ingress', 'pref', '10', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0']])
  const before = hostState(host)
  const add = await call(host, 'ADD', conf(BOTH))
  t.equal(add.code, 0, add.stdout)
  t.match(await ingressFilters(host, HOST_VETH), [{ pref: 10 }, { pref: 10 }, { pref: 10 }, { pref: 65000 }, { pref: 65000 }, { pref: 65000 }])
  t.equal(JSON.parse((await host.files.read(RECORD)) as string).clsact, false, 'the clsact was there')
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.same(hostState(host), before, 'the foreign filter and clsact are as they were')
})

t.test('a clsact we created stays when someone attached a filter after our ADD', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  await host.tc.run([['filter', 'add', 'dev', HOST_VETH, 'egress', 'pref', '7', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0']])
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'noqueue' }, { kind: 'clsact' }], 'clsact kept for the other filter')
  t.match(await host.tc.json<any[]>(['filter', 'show', 'dev', HOST_VETH, 'egress']), [{ pref: 7 }])
  t.same(await ingressFilters(host, HOST_VETH), [], 'our redirect is gone')
  t.notOk(host.link(undefined, IFB))
})

t.test("an existing ingress qdisc (the reference's) is reused and kept", async (t) => {
  const host = podWorld()
  await host.tc.run([['qdisc', 'add', 'dev', HOST_VETH, 'ingress']])
  const before = hostState(host)
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'tbf' }, { kind: 'ingress' }])
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.same(hostState(host), before)
})

for (const at of [1, 2, 3, 4, 5, 6]) {
  t.test(`a failure at effect ${at} of ADD rolls everything back`, async (t) => {
    const host = podWorld()
    const before = hostState(host)
    host.failAt(at, 'RTNETLINK answers: Invalid argument')
    const r = await call(host, 'ADD', conf(BOTH))
    t.not(r.code, 0)
    t.same(hostState(host), before, 'host as before, no record')
  })
}

t.test('DEL without a record (the pod netns still there): our tbf and filter by handle and priority', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  await host.files.remove(RECORD)
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }))).code, 0)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'noqueue' }, { kind: 'clsact' }], 'not provably ours: clsact stays')
  t.same(await ingressFilters(host, HOST_VETH), [])
  t.notOk(host.link(undefined, IFB), 'the derived ifb is gone')
})

t.test('DEL after the pod netns is gone: the ifb and the record', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  host.removeLink(undefined, HOST_VETH)
  host.removeNamespace(NETNS)
  const del = await call(host, 'DEL', conf({}, { withPrev: false }))
  t.equal(del.code, 0, del.stdout)
  t.notOk(host.link(undefined, IFB))
  t.equal(await host.files.read(RECORD), undefined)
})

t.test('a veth re-created under the recorded name is not touched by DEL', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf({ ingressRate: 8000, ingressBurst: 80 }))).code, 0)
  host.removeLink(undefined, HOST_VETH)
  host.addNamespace('/var/run/netns/other')
  host.addVethPair({ ns: undefined, name: 'spare', up: true }, { ns: '/var/run/netns/other', name: 'eth0', up: true })
  host.addVethPair({ ns: undefined, name: HOST_VETH, up: true }, { ns: '/var/run/netns/other', name: 'eth1', up: true })
  await host.tc.run([['qdisc', 'add', 'dev', HOST_VETH, 'root', 'handle', 'bd00:', 'tbf', 'rate', '1mbit', 'burst', '10k', 'limit', '20k']])
  t.equal((await call(host, 'DEL', conf({}, { withPrev: false }), { netns: '/var/run/netns/gone' })).code, 0)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'tbf' }], 'another veth (new ifindex): left alone')
})

t.test('CHECK names what differs', async (t) => {
  const host = podWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  const rate = await call(host, 'CHECK', conf({ ...BOTH, ingressRate: 30_000_000 }))
  t.equal(rate.code, 1)
  t.match(rate.out, { code: 100, msg: 'bandwidth check failed', details: /tbf rate is 20000000 bits\/s, configured 30000000/ })
  const burst = await call(host, 'CHECK', conf({ ...BOTH, egressBurst: 800_000 }))
  t.match(burst.out, { code: 100, details: /out of the pod.*burst is 25000 bytes, configured 100000/ })
  await host.tc.run([['filter', 'del', 'dev', HOST_VETH, 'ingress', 'pref', '65000']])
  t.match((await call(host, 'CHECK', conf(BOTH))).out, { code: 100, details: /no redirect/ })
  host.removeLink(undefined, IFB)
  t.match((await call(host, 'CHECK', conf(BOTH))).out, { code: 100, details: /ifb bwp\w+ does not exist/ })
  t.equal((await call(host, 'CHECK', conf({}))).code, 0, 'nothing configured: nothing to check')
})
