// How many links bandwidth reads (issue 16): the host end of the pod's veth is looked for among
// prevResult's host interfaces, each read by name, and the ifb is read by name; every link of the
// node is listed only when no named candidate is the peer (amazon-vpc-cni lists no host
// interface). On a node holding many pods, ADD, CHECK, DEL and GC read the same links as on an
// empty one.
import t, { type Test } from 'tap'
import type { SemanticHost } from '../../../src/host/fake/index.js'
import { findVethPeer, MAX_PEER_CANDIDATES } from '../../../src/net/link.js'
import { ifbName } from '../../../meta-plugins/bandwidth/names.js'
import { CID, HOST_VETH, IFNAME, NETNS, NETWORK, RECORD, call, conf, hostState, podWorld, qdiscs } from './helpers.js'

const BOTH = { ingressRate: 20_000_000, ingressBurst: 400_000, egressRate: 10_000_000, egressBurst: 200_000 }
const IFB = ifbName(NETWORK, CID)
const OTHERS = 50

/** busyWorld: podWorld plus OTHERS unrelated pods, each with a host veth and an ifb. */
const busyWorld = (): SemanticHost => {
  const host = podWorld()
  for (let i = 0; i < OTHERS; i++) {
    host.addNamespace(`/var/run/netns/other${i}`)
    host.addVethPair({ ns: undefined, name: `vetho${i}`, up: true }, { ns: `/var/run/netns/other${i}`, name: 'eth0', up: true })
    host.addLink(undefined, { name: `bwpo${i}`, kind: 'ifb' })
  }
  return host
}

/** a read that lists every link of a namespace (`ip -j [-d] link show` without `dev`) */
const isListing = (read: string): boolean => /^ip -j (-d )?link show(@|$)/.test(read)
const listings = (host: SemanticHost, from = 0): string[] => host.reads.slice(from).filter(isListing)

/** withInterfaces: conf(BOTH) whose prevResult lists exactly `interfaces`. */
const withInterfaces = (interfaces: object[], extra: object = BOTH): Record<string, unknown> => {
  const c = conf(extra)
  ;(c.prevResult as { interfaces: object[] }).interfaces = interfaces
  return c
}

/** lifecycle: ADD, CHECK, a repeated ADD, ADD without egress, DEL (record), DEL again, ADD, GC. */
const lifecycle = async (t: Test, host: SemanticHost): Promise<void> => {
  const ok = async (verb: string, c: object): Promise<void> => {
    const r = await call(host, verb, c)
    t.equal(r.code, 0, `${verb}: ${r.stdout}`)
  }
  await ok('ADD', conf(BOTH))
  await ok('CHECK', conf(BOTH))
  await ok('ADD', conf({ ...BOTH, ingressRate: 40_000_000 }))
  await ok('ADD', conf({ ingressRate: 40_000_000, ingressBurst: 400_000 }))
  await ok('DEL', conf({}))
  await ok('DEL', conf({}))
  await ok('ADD', conf(BOTH))
  await ok('GC', { cniVersion: '1.1.0', name: NETWORK, type: 'bandwidth', 'cni.dev/valid-attachments': [] })
}

t.test('ADD, CHECK, DEL and GC read the same links on a node with 50 other pods as on an empty one', async (t) => {
  const quiet = podWorld()
  const busy = busyWorld()
  const before = hostState(busy)
  await lifecycle(t, quiet)
  await lifecycle(t, busy)
  t.same(listings(busy), [], 'no listing of every link')
  t.same(busy.reads, quiet.reads, 'the same reads, in the same order')
  t.same(hostState(busy), before, 'GC took everything of ours away: the other pods are as they were')
  const linkReads = busy.reads.filter((r) => r.startsWith('ip -j -d link show dev '))
  t.ok(linkReads.every((r) => /dev (eth0@|cni0$|veth0a1b2c3d$|bwp[0-9a-f]{12}$)/.test(r)), 'only the pod link, the named candidates and our ifb')
})

t.test('the veth is read by name among the host interfaces, after the pod link', async (t) => {
  const host = busyWorld()
  const r = await call(host, 'ADD', conf(BOTH))
  t.equal(r.code, 0, r.stdout)
  const links = host.reads.filter((x) => x.startsWith('ip -j -d link show'))
  t.equal(links[0], `ip -j -d link show dev ${IFNAME}@${NETNS}`, 'the pod link first')
  t.same(new Set(links.slice(1)), new Set(['ip -j -d link show dev cni0', `ip -j -d link show dev ${HOST_VETH}`, `ip -j -d link show dev ${IFB}`]))
  t.equal(links.length, 4, 'each once')
})

t.test('prevResult lists no host interface: every link is listed once, and ADD/CHECK/DEL work', async (t) => {
  const host = busyWorld()
  const before = hostState(host)
  const podOnly = withInterfaces([{ name: IFNAME, sandbox: NETNS }])
  const add = await call(host, 'ADD', podOnly)
  t.equal(add.code, 0, add.stdout)
  t.same(listings(host), ['ip -j -d link show'], 'one listing of the host namespace')
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'tbf' }, { kind: 'clsact' }], 'shaped on the real peer')
  let from = host.reads.length
  t.equal((await call(host, 'CHECK', podOnly)).code, 0)
  t.same(listings(host, from), ['ip -j -d link show'], 'CHECK lists too')
  from = host.reads.length
  t.equal((await call(host, 'DEL', podOnly)).code, 0)
  t.same(listings(host, from), [], 'DEL has the record: no listing')
  t.same(hostState(host), before)
})

t.test('a named candidate that is not the peer (another pod\'s veth) is not taken: the listing finds the peer', async (t) => {
  const host = busyWorld()
  const add = await call(host, 'ADD', withInterfaces([{ name: 'vetho7' }, { name: 'bwpo3' }, { name: IFNAME, sandbox: NETNS }]))
  t.equal(add.code, 0, add.stdout)
  t.same(listings(host), ['ip -j -d link show'])
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'tbf' }], 'the real peer is shaped')
  t.match(await qdiscs(host, 'vetho7'), [{ kind: 'noqueue' }], 'the decoy is not')
  t.equal(JSON.parse((await host.files.read(RECORD)) as string).hostVeth.name, HOST_VETH)
})

t.test('DEL without a record: prevResult\'s host interfaces by name; without prevResult the listing', async (t) => {
  for (const withPrev of [true, false]) {
    const host = busyWorld()
    t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
    await host.files.remove(RECORD)
    const from = host.reads.length
    t.equal((await call(host, 'DEL', conf({}, { withPrev }))).code, 0)
    t.same(listings(host, from), withPrev ? [] : ['ip -j -d link show'], withPrev ? 'with prevResult: no listing' : 'without: one listing')
    t.match(await qdiscs(host, HOST_VETH), [{ kind: 'noqueue' }, { kind: 'clsact' }], 'our tbf is gone either way (clsact not provably ours)')
    t.notOk(host.link(undefined, IFB))
  }
})

t.test('an unparsable prevResult on DEL is no obstacle: the listing is used', async (t) => {
  const host = busyWorld()
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0)
  await host.files.remove(RECORD)
  const r = await call(host, 'DEL', { ...conf({}), prevResult: { cniVersion: '1.0.0', interfaces: 'nope' } })
  t.equal(r.code, 0, r.stdout)
  t.match(await qdiscs(host, HOST_VETH), [{ kind: 'noqueue' }, { kind: 'clsact' }])
})

t.test('candidate names that are not interface names never reach ip', async (t) => {
  const host = podWorld()
  const bad = ['x'.repeat(16), 'a/b', 'a b', '.', '']
  const add = await call(host, 'ADD', withInterfaces([...bad.map((name) => ({ name })), { name: HOST_VETH }, { name: IFNAME, sandbox: NETNS }]))
  t.equal(add.code, 0, add.stdout)
  const linkReads = host.reads.filter((r) => r.startsWith('ip -j -d link show'))
  t.same(linkReads.filter((r) => bad.some((b) => r === `ip -j -d link show dev ${b}`)), [])
  t.same(listings(host), [], 'the valid candidate is the peer')
})

t.test('findVethPeer: at most MAX_PEER_CANDIDATES names read, duplicates once', async (t) => {
  const host = busyWorld()
  const names = [...Array.from({ length: 20 }, (_, i) => `vetho${i}`), 'vetho0', HOST_VETH]
  const found = await findVethPeer(host, IFNAME, NETNS, names)
  t.same(host.reads.filter((r) => r.startsWith('ip -j -d link show dev veth')).length, MAX_PEER_CANDIDATES)
  t.match(found, { peer: { name: HOST_VETH }, pod: { name: IFNAME } }, 'found through the listing when the peer is past the cap')
  t.notOk('hostLinks' in found, 'no link list is handed back')
  const direct = await findVethPeer(host, IFNAME, NETNS, ['vetho0', 'vetho0', HOST_VETH])
  t.match(direct, { peer: { name: HOST_VETH } })
})

t.test('the reference ifb name held by another link: candidates read by name until a free one', async (t) => {
  const host = busyWorld()
  host.addLink(undefined, { name: IFB, kind: 'ifb' })
  const add = await call(host, 'ADD', conf(BOTH))
  t.equal(add.code, 0, add.stdout)
  t.same(listings(host), [])
  const second = ifbName(NETWORK, CID, 1)
  t.equal(add.out.interfaces.at(-1).name, second)
  t.ok(host.reads.includes(`ip -j -d link show dev ${IFB}`) && host.reads.includes(`ip -j -d link show dev ${second}`))
  const from = host.reads.length
  t.equal((await call(host, 'ADD', conf(BOTH))).code, 0, 'a repeated ADD reuses the recorded ifb')
  t.same(listings(host, from), [])
  t.equal(host.link(undefined, second)?.kind, 'ifb')
})

t.test('a named candidate with the peer\'s ifindex that does not point back is not taken', async (t) => {
  const host = podWorld()
  host.addNamespace('/var/run/netns/third')
  host.addNamespace('/var/run/netns/other')
  host.addVethPair({ ns: '/var/run/netns/third', name: 'vx', ifindex: 40 }, { ns: NETNS, name: 'net2' })
  host.addVethPair({ ns: undefined, name: 'decoy', ifindex: 40 }, { ns: '/var/run/netns/other', name: 'eth0' })
  const before = hostState(host)
  const r = await call(host, 'ADD', withInterfaces([{ name: 'decoy' }, { name: 'net2', sandbox: NETNS }]), { ifname: 'net2' })
  t.equal(r.code, 1)
  t.match(r.out, { code: 7, details: /the veth peer of "net2" .*\(ifindex 40\) is not in the namespace bandwidth runs in/ })
  t.same(hostState(host), before, 'nothing changed')
})
