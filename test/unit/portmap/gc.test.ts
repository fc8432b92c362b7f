// GC: shared port chains no pod chain references any more are released (kernel-counted, best
// effort); v1 leftovers of this network go, the v1 table only once no pod chain is left in it.
import t from 'tap'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { baseConf, fakeFor, request } from './helpers.js'

const mine = podChainName('testnet', 'gone', 'eth0')
const v1 = { family: 'inet', table: 'cni_portmap_v1' }
const v2 = { family: 'inet', table: 'cni_portmap_v2' }
const gcReq = request({ ...baseConf({ cniVersion: '1.1.0' }), 'cni.dev/valid-attachments': [] }, { command: 'GC', containerId: '', ifname: '' })
const nftSteps = async (responses: Record<string, unknown>) =>
  (await portmapPlugin.plan('GC', gcReq, fakeFor({ responses }))).steps.flatMap((s) => (s.kind === 'nft' ? [{ batch: JSON.stringify(s.batch), ignore: s.ignoreFailure === true }] : []))

t.test('an unreferenced shared chain is released; a referenced one is left alone', async (t) => {
  const steps = await nftSteps({ 'nft -j list table inet cni_portmap_v2': [
    { chain: { ...v2, name: 'sp4-tcp-8080' } },
    { chain: { ...v2, name: 'sp6-udp-53' } },
    { chain: { ...v2, name: 'pm-aaaaaaaaaaaaaaaa' } },
    { rule: { ...v2, chain: 'pm-aaaaaaaaaaaaaaaa', comment: 'k=udp/53@[fd00::1] if=eth0 net=othernet cid=x', expr: [] } },
    { rule: { ...v2, chain: 'pm-aaaaaaaaaaaaaaaa', expr: [{ jump: { target: 'sp6-udp-53' } }] } },
  ] })
  const releases = steps.filter((s) => /"delete":\{"chain":\{[^}]*"name":"sp/.test(s.batch))
  t.equal(releases.length, 1)
  t.match(releases[0]?.batch, /"name":"sp4-tcp-8080"/)
  t.equal(releases[0]?.ignore, true, 'best effort: a concurrent ADD may have referenced it since')
})

t.test('v1: another network\'s live chain keeps the v1 table', async (t) => {
  const steps = await nftSteps({ 'nft -j list table inet cni_portmap_v1': [
    { map: { ...v1, name: 'anyip', elem: [[{ concat: ['tcp', 80] }, { goto: { target: mine } }], [{ concat: ['tcp', 81] }, { goto: { target: 'pm-aaaaaaaaaaaaaaaa' } }]] } },
    { chain: { ...v1, name: mine } },
    { chain: { ...v1, name: 'pm-aaaaaaaaaaaaaaaa' } },
    { rule: { ...v1, chain: mine, comment: 'k=tcp/80 if=eth0 net=testnet cid=gone', expr: [] } },
    { rule: { ...v1, chain: 'pm-aaaaaaaaaaaaaaaa', comment: 'k=tcp/81 if=eth0 net=othernet cid=x', expr: [] } },
  ] })
  t.equal(steps.length, 1, 'only the stale chain\'s removal')
  t.match(steps[0]?.batch, new RegExp(`"delete":\\{"chain":\\{"family":"inet","table":"cni_portmap_v1","name":"${mine}"`))
  t.notMatch(steps[0]?.batch, /"tcp",81/, 'the other network\'s element is not touched')
  t.notMatch(JSON.stringify(steps), /"delete":\{"table"/, 'the v1 table stays')
})

t.test('no v1 table, no v2 table: nothing to do', async (t) => {
  t.same(await nftSteps({}), [])
})
