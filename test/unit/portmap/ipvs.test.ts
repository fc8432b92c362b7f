// Service VIPs are local addresses too (kube-proxy IPVS binds them to kube-ipvs0), and nft's fib
// cannot tell which device holds a local address: the dispatch chain returns for the admin's
// exclude sets and for kube-ipvs0's addresses (refreshed by ADD and GC) before any port lookup.
import t from 'tap'
import { HostError } from '../../../src/host/types.js'
import { readIpvs } from '../../../meta-plugins/portmap/plan.js'
import { ipvsRefreshCommands, skeletonCommands } from '../../../meta-plugins/portmap/rules.js'
import { fakeFor } from './helpers.js'

const KEY = 'ip -j addr show dev kube-ipvs0'

t.test('readIpvs: the addresses of both families on kube-ipvs0, normalized, each once', async (t) => {
  const host = fakeFor({ responses: { [KEY]: [{ ifname: 'kube-ipvs0', addr_info: [
    { family: 'inet', local: '10.96.0.1' }, { family: 'inet', local: '10.96.0.1' }, { family: 'inet6', local: 'FD00:96:0::1' },
    { family: 'inet6', local: 'fe80::1%kube-ipvs0' }, { family: 'inet', local: 'not an address' }, { family: 'inet' },
  ] }] } })
  t.same(await readIpvs(host), { v4: ['10.96.0.1'], v6: ['fd00:96::1'] })
})

t.test('readIpvs: no kube-ipvs0 → empty (the sets are flushed); any other failure → unknown (left alone)', async (t) => {
  t.same(await readIpvs(fakeFor({})), { v4: [], v6: [] })
  const host = fakeFor({})
  host.ip.json = async () => { throw new HostError('ip', ['-j'], 'RTNETLINK answers: Operation not permitted') }
  t.equal(await readIpvs(host), undefined)
})

t.test('skeleton: excluded and kube-ipvs0 destinations return before the per-family port lookup', async (t) => {
  const cmds = skeletonCommands({ snat: false, markBit: 13, mark: 0x2000 }, false, { v4: ['10.96.0.1'], v6: [] })
  const dispatch = cmds.filter((c) => c.add?.rule?.chain === 'dispatch').map((c) => JSON.stringify(c.add?.rule?.expr))
  t.equal(dispatch.length, 6)
  t.match(dispatch.slice(0, 4).join(' '), /"@exclude4".*"@exclude6".*"@ipvs4".*"@ipvs6"/)
  t.ok(dispatch.slice(0, 4).every((d) => d.includes('"return"')))
  t.match(dispatch[4], /"@ports4"/)
  t.match(dispatch[5], /"@ports6"/)
  t.notOk(cmds.some((c) => c.flush?.set?.name === 'exclude4' || c.flush?.set?.name === 'exclude6'), 'the admin sets are never flushed')
  t.same(cmds.filter((c) => c.add?.element).map((c) => c.add?.element), [{ family: 'inet', table: 'cni_portmap_v2', name: 'ipvs4', elem: ['10.96.0.1'] }])
  t.notOk(skeletonCommands({ snat: false, markBit: 13, mark: 0x2000 }, false).some((c) => c.flush?.set), 'unknown kube-ipvs0: the sets are left as they are')
  t.same(ipvsRefreshCommands({ v4: [], v6: [] }).map((c) => Object.keys(c)[0]), ['flush', 'flush'])
})
