// GC: removes this network's attachments that are not valid (ifb, tbf, redirect, clsact, record),
// keeps valid ones and other networks'; no list removes nothing; an empty list keeps nothing.
import t, { type Test } from 'tap'
import { call, conf, hostState, podWorld, qdiscs } from './helpers.js'
import type { SemanticHost } from '../../../src/host/fake/index.js'
import { ifbName } from '../../../meta-plugins/bandwidth/names.js'

const BOTH = { ingressRate: 8000, ingressBurst: 800, egressRate: 8000, egressBurst: 800 }
const PODS = [
  { netns: '/var/run/netns/p1', veth: 'vethp1', containerId: 'c1', network: 'bwnet' },
  { netns: '/var/run/netns/p2', veth: 'vethp2', containerId: 'c2', network: 'bwnet' },
  { netns: '/var/run/netns/p3', veth: 'vethp3', containerId: 'c3', network: 'othernet' },
]

const world = async (t: Test): Promise<{ host: SemanticHost; empty: unknown }> => {
  const host = podWorld()
  for (const p of PODS) {
    host.addNamespace(p.netns)
    host.addVethPair({ ns: undefined, name: p.veth, up: true }, { ns: p.netns, name: 'eth0', up: true })
  }
  const empty = hostState(host)
  for (const p of PODS) {
    const r = await call(host, 'ADD', { ...conf(BOTH), name: p.network }, { netns: p.netns, containerId: p.containerId })
    t.equal(r.code, 0, r.stdout)
  }
  return { host, empty }
}

const gc = (host: SemanticHost, extra: object) => call(host, 'GC', { cniVersion: '1.1.0', name: 'bwnet', type: 'bandwidth', ...extra })

t.test('stale attachments of this network go, valid ones and other networks stay', async (t) => {
  const { host } = await world(t)
  const r = await gc(host, { 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] })
  t.equal(r.code, 0, r.stdout)
  t.ok(host.link(undefined, ifbName('bwnet', 'c1')), 'valid: kept')
  t.match(await qdiscs(host, 'vethp1'), [{ kind: 'tbf' }, { kind: 'clsact' }])
  t.notOk(host.link(undefined, ifbName('bwnet', 'c2')), 'stale: ifb gone')
  t.match(await qdiscs(host, 'vethp2'), [{ kind: 'noqueue' }], 'stale: tbf and clsact gone')
  t.equal((await qdiscs(host, 'vethp2')).length, 1)
  t.ok(host.link(undefined, ifbName('othernet', 'c3')), 'another network: kept')
  t.equal(await host.files.read('/run/cni/bandwidth/bwnet:c2:eth0.json'), undefined, 'record gone')
  t.not(await host.files.read('/run/cni/bandwidth/bwnet:c1:eth0.json'), undefined)
})

t.test('no list removes nothing (and says so); the spec spelling cni.dev/attachments is read', async (t) => {
  const { host } = await world(t)
  const before = hostState(host)
  const write = process.stderr.write
  let note = ''
  process.stderr.write = ((text: string) => { note += text; return true }) as typeof process.stderr.write
  const r = await gc(host, {}).finally(() => void (process.stderr.write = write))
  t.equal(r.code, 0)
  t.match(note, /no cni.dev\/valid-attachments given, nothing removed/)
  t.same(hostState(host), before)
  t.equal((await gc(host, { 'cni.dev/attachments': [{ containerID: 'c1', ifname: 'eth0' }, { containerID: 'c2', ifname: 'eth0' }] })).code, 0)
  t.same(hostState(host), before, 'both valid')
})

t.test('an empty list: every attachment of this network goes', async (t) => {
  const { host, empty } = await world(t)
  t.equal((await gc(host, { 'cni.dev/valid-attachments': [] })).code, 0)
  t.notOk(host.link(undefined, ifbName('bwnet', 'c1')))
  t.notOk(host.link(undefined, ifbName('bwnet', 'c2')))
  t.ok(host.link(undefined, ifbName('othernet', 'c3')))
  t.equal((await gc(host, { name: 'othernet', 'cni.dev/valid-attachments': [] })).code, 0)
  t.same(hostState(host), empty, 'nothing left of any attachment')
})

t.test('a malformed list is a config error before any change', async (t) => {
  const { host } = await world(t)
  const before = hostState(host)
  const r = await gc(host, { 'cni.dev/valid-attachments': [{ containerID: 5 }] })
  t.equal(r.out.code, 7)
  t.same(hostState(host), before)
})
