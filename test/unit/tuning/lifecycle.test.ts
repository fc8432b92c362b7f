// ADD → ADD → DEL, rollback, DEL in its tolerant cases, and GC, through the dispatcher with a
// stateful FakeHost.
import t, { type Test } from 'tap'
import { CID, IFNAME, NETNS, ORIGINAL_LINK, ORIGINAL_SYSCTLS, RECORD, call, conf, tuningHost } from './helpers.js'

const FULL = {
  mtu: 1400, mac: 'c2:11:22:33:44:55', promisc: true, allmulti: true, txQLen: 2000,
  sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1', 'net.core.somaxconn': '1024' },
}
const TUNED = { address: 'c2:11:22:33:44:55', mtu: 1400, promisc: true, allmulti: true, txqlen: 2000 }

const expectOriginal = (t: Test, host: ReturnType<typeof tuningHost>): void => {
  t.same(host.link, ORIGINAL_LINK, 'link as before ADD')
  for (const [k, v] of Object.entries(ORIGINAL_SYSCTLS)) t.equal(host.sysctlIn(k), v, `${k} as before ADD`)
}

t.test('the record holds every original, sysctls included, and is written first', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'ADD', conf('1.1.0', FULL))
  t.equal(r.code, 0, r.stdout)
  t.same(JSON.parse(host.files.contents.get(RECORD)!.content), {
    mac: ORIGINAL_LINK.address, promisc: false, mtu: 1500, allmulti: false, txQLen: 1000,
    sysctl: { 'net/core/somaxconn': '4096', 'net/ipv4/conf/dummy0/arp_filter': '0' }, network: 'test-net',
  })
  t.same(host.calls[0], { tool: 'files', args: ['write', RECORD] }, 'record before any change')
  t.same(r.out.interfaces[0], { name: IFNAME, sandbox: NETNS, mac: TUNED.address, mtu: 1400 }, '1.1.0 result carries mac and mtu')
})

t.test('a repeated ADD keeps the originals and changes nothing', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', FULL))).code, 0)
  const record = host.files.contents.get(RECORD)!.content
  const before = host.calls.length
  const again = await call(host, 'ADD', conf('1.0.0', FULL))
  t.equal(again.code, 0, again.stdout)
  t.equal(again.out.interfaces[0].mac, TUNED.address, 'result still carries the MAC')
  t.same(host.calls.slice(before), [], 'nothing to do the second time')
  t.equal(host.files.contents.get(RECORD)!.content, record, 'record unchanged')
  t.equal((await call(host, 'DEL', conf('1.0.0', FULL, false))).code, 0)
  expectOriginal(t, host)
})

t.test('a second ADD with more settings adds their originals and keeps the old ones', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', { mtu: 1400 }))).code, 0)
  t.equal((await call(host, 'ADD', conf('1.0.0', { mtu: 1300, promisc: true, sysctl: { 'net.core.somaxconn': '9' } }))).code, 0)
  const rec = JSON.parse(host.files.contents.get(RECORD)!.content)
  t.equal(rec.mtu, 1500, 'the first original, not 1400')
  t.equal(rec.promisc, false)
  t.same(rec.sysctl, { 'net/core/somaxconn': '4096' })
  t.equal(host.link?.mtu, 1300)
  t.equal((await call(host, 'DEL', conf('1.0.0', {}, false))).code, 0)
  expectOriginal(t, host)
})

for (const failing of ['ip link set dev dummy0 mtu', 'ip link set dev dummy0 txqueuelen', 'sysctl net/ipv4/conf/dummy0/arp_filter']) {
  t.test(`a failure part-way rolls back everything (${failing})`, async (t) => {
    const host = tuningHost()
    host.failures.set(failing, 'RTNETLINK answers: Invalid argument')
    const r = await call(host, 'ADD', conf('1.0.0', FULL))
    t.equal(r.code, 1)
    t.match(r.out.msg, /Invalid argument/)
    expectOriginal(t, host)
    t.notOk(host.files.contents.has(RECORD), 'no record left')
  })
}

t.test('a failed repeated ADD puts the earlier record back', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', { mtu: 1400 }))).code, 0)
  const record = host.files.contents.get(RECORD)!.content
  host.failures.set('ip link set dev dummy0 promisc', 'RTNETLINK answers: Operation not permitted')
  t.equal((await call(host, 'ADD', conf('1.0.0', { mtu: 1400, promisc: true }))).code, 1)
  t.equal(host.files.contents.get(RECORD)!.content, record)
  t.equal(host.link?.mtu, 1400)
  t.equal(host.link?.promisc, false)
})

t.test('DEL restores in order MTU, MAC, promisc, allmulti, txqlen, sysctls, then removes the record', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', FULL))).code, 0)
  const from = host.calls.length
  t.equal((await call(host, 'DEL', conf('1.0.0', FULL, false))).code, 0)
  t.same(host.calls.slice(from).map((c) => c.args), [
    ['link', 'set', 'dev', IFNAME, 'mtu', '1500'],
    ['link', 'set', 'dev', IFNAME, 'address', ORIGINAL_LINK.address],
    ['link', 'set', 'dev', IFNAME, 'promisc', 'off'],
    ['link', 'set', 'dev', IFNAME, 'allmulticast', 'off'],
    ['link', 'set', 'dev', IFNAME, 'txqueuelen', '1000'],
    ['net/core/somaxconn', '4096'],
    ['net/ipv4/conf/dummy0/arp_filter', '0'],
    ['remove', RECORD],
  ])
  expectOriginal(t, host)
  const again = await call(host, 'DEL', conf('1.0.0', FULL, false))
  t.equal(again.code, 0, 'DEL is idempotent')
})

t.test('DEL when the netns is gone removes the record and succeeds', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', FULL))).code, 0)
  host.namespaces.delete(NETNS)
  const from = host.calls.length
  t.equal((await call(host, 'DEL', conf('1.0.0', FULL, false))).code, 0)
  t.same(host.calls.slice(from).map((c) => c.args), [['remove', RECORD]])
})

t.test('DEL without CNI_NETNS removes the record and succeeds', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', { mtu: 1400 }))).code, 0)
  t.equal((await call(host, 'DEL', conf('1.0.0', {}, false), { netns: '' })).code, 0)
  t.notOk(host.files.contents.has(RECORD))
})

t.test('DEL when the interface is gone restores netns-wide sysctls and removes the record', async (t) => {
  const host = tuningHost()
  t.equal((await call(host, 'ADD', conf('1.0.0', FULL))).code, 0)
  host.link = undefined
  host.sysctls.delete(`${NETNS}|net/ipv4/conf/dummy0/arp_filter`) // went with the interface
  const from = host.calls.length
  t.equal((await call(host, 'DEL', conf('1.0.0', FULL, false))).code, 0)
  t.same(host.calls.slice(from).map((c) => c.args), [['net/core/somaxconn', '4096'], ['remove', RECORD]])
})

t.test('DEL with an unreadable record removes it; a tampered sysctl path is never written', async (t) => {
  const host = tuningHost()
  host.files.contents.set(RECORD, { content: 'not json', mode: 0o600 })
  t.equal((await call(host, 'DEL', conf('1.0.0', {}, false))).code, 0)
  t.notOk(host.files.contents.has(RECORD))
  host.files.contents.set(RECORD, { content: JSON.stringify({ mtu: 1400, sysctl: { 'net/../kernel/hostname': 'pwned', 'kernel/hostname': 'x' } }), mode: 0o600 })
  host.link!.mtu = 9000
  t.equal((await call(host, 'DEL', conf('1.0.0', {}, false))).code, 0)
  t.same(host.calls.filter((c) => c.tool === 'sysctl'), [])
  t.equal(host.link?.mtu, 1400)
})

t.test('DEL restores a record written by the reference tuning', async (t) => {
  const host = tuningHost({ link: { ...TUNED } })
  host.files.contents.set(RECORD, { content: '{"mac":"7a:78:07:a0:68:4b","promisc":false,"mtu":1500,"allmulti":false,"txQLen":1000}', mode: 0o600 })
  t.equal((await call(host, 'DEL', conf('0.4.0', {}, false))).code, 0)
  t.same(host.link, ORIGINAL_LINK)
})

t.test('CHECK reports the first difference', async (t) => {
  const host = tuningHost()
  const cfg = conf('1.0.0', FULL)
  const add = await call(host, 'ADD', cfg)
  t.equal((await call(host, 'CHECK', { ...cfg, prevResult: add.out })).code, 0)
  host.sysctls.set(`${NETNS}|net/core/somaxconn`, '5')
  const bad = await call(host, 'CHECK', { ...cfg, prevResult: add.out })
  t.equal(bad.code, 1)
  t.match(bad.out.details, /net.core.somaxconn/)
  host.sysctls.set(`${NETNS}|net/core/somaxconn`, '1024')
  host.link!.promisc = false
  t.match((await call(host, 'CHECK', { ...cfg, prevResult: add.out })).out.details, /promisc/)
  host.link = undefined
  t.match((await call(host, 'CHECK', { ...cfg, prevResult: add.out })).out.details, /not found/)
})

t.test('CHECK: promisc absent requires promisc off; an uppercase MAC in the config still matches', async (t) => {
  const host = tuningHost({ link: { ...ORIGINAL_LINK, promisc: true } })
  const r = await call(host, 'CHECK', conf('1.0.0', {}))
  t.match(r.out.details, /promisc/)
  const host2 = tuningHost()
  const cfg = conf('1.0.0', { mac: 'C2:11:22:33:44:55' })
  const add = await call(host2, 'ADD', cfg)
  t.equal((await call(host2, 'CHECK', { ...cfg, prevResult: add.out })).code, 0)
})

t.test('GC removes this network\'s records of attachments that are not valid any more', async (t) => {
  const host = tuningHost()
  const put = (name: string, network?: string) =>
    host.files.contents.set(`/run/cni/tuning/${name}`, { content: JSON.stringify({ mtu: 1500, ...(network ? { network } : {}) }), mode: 0o600 })
  put(`${CID}_${IFNAME}.json`, 'test-net')
  put('gone_eth0.json', 'test-net')
  put('gone_net1.json', 'test-net')
  put('other_eth0.json', 'other-net')
  put('reference_eth0.json')
  const gc = { cniVersion: '1.1.0', name: 'test-net', type: 'tuning', 'cni.dev/valid-attachments': [{ containerID: CID, ifname: IFNAME }] }
  const r = await call(host, 'GC', gc)
  t.equal(r.code, 0, r.stdout)
  t.same([...host.files.contents.keys()].sort(), [
    `/run/cni/tuning/${CID}_${IFNAME}.json`, '/run/cni/tuning/other_eth0.json', '/run/cni/tuning/reference_eth0.json',
  ])
  const none = await call(host, 'GC', { cniVersion: '1.1.0', name: 'test-net', type: 'tuning' })
  t.equal(none.code, 0)
  t.equal(host.files.contents.size, 3, 'no list: nothing removed')
  const old = await call(host, 'GC', { ...gc, cniVersion: '1.0.0' })
  t.equal(old.code, 1, 'GC needs 1.1.0')
})

t.test('a txqueuelen of 0 (no txqlen in ip -j output) is recorded and restored as 0', async (t) => {
  const host = tuningHost({ link: { ...ORIGINAL_LINK, txqlen: 0 } })
  t.equal((await call(host, 'ADD', conf('1.0.0', { txQLen: 2000 }))).code, 0)
  t.equal(JSON.parse(host.files.contents.get(RECORD)!.content).txQLen, 0)
  t.equal(host.link?.txqlen, 2000)
  t.equal((await call(host, 'DEL', conf('1.0.0', {}, false))).code, 0)
  t.equal(host.link?.txqlen, 0)
})

t.test('an MTU outside the interface\'s range is refused before any change', async (t) => {
  const host = tuningHost()
  host.link!.mtu = 1500
  const r = await call(host, 'ADD', conf('1.0.0', { mtu: 65535, mac: 'c2:11:22:33:44:55' }))
  t.equal(r.code, 0, 'veth max is 65535')
  const host2 = tuningHost()
  host2.world.namespaces.get(NETNS)!.links.find((l) => l.name === IFNAME)!.maxMtu = 9000
  const r2 = await call(host2, 'ADD', conf('1.0.0', { mtu: 9100 }))
  t.equal(r2.out.code, 7)
  t.match(r2.out.details, /outside the range 68-9000/)
  t.same(host2.calls, [])
})

t.test('ADD fails with code 4 when the netns or the interface is missing, changing nothing', async (t) => {
  const host = tuningHost()
  host.namespaces.clear()
  const r = await call(host, 'ADD', conf('1.0.0', { mtu: 1400 }))
  t.equal(r.out.code, 4)
  t.match(r.out.details, /not a network namespace/)
  const host2 = tuningHost({ link: undefined })
  const r2 = await call(host2, 'ADD', conf('1.0.0', { mtu: 1400 }))
  t.equal(r2.out.code, 4)
  t.match(r2.out.details, /not found/)
  t.same([...host.calls, ...host2.calls], [])
})
