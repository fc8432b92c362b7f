// Host-port takeover: Kubernetes' NodePorts rule as a table, the elements each key claims (so the
// kernel refuses every overlap in either order), and the shared per-port chain of address holders.
import t from 'tap'
import { claimsOf, keysOverlap, sharedChainOf, type HostKey } from '../../../meta-plugins/portmap/layout.js'
import { podAddCommands, sharedReleaseCommands } from '../../../meta-plugins/portmap/rules.js'
import { planAdd } from '../../../meta-plugins/portmap/plan.js'
import { nextMappings, parseMappingSpec } from '../../../meta-plugins/portmap/publish.js'
import { baseConf, fakeFor, prevResult, request } from './helpers.js'

const k = (hostIP?: string, protocol: HostKey['protocol'] = 'tcp', hostPort = 8080): HostKey =>
  hostIP === undefined ? { protocol, hostPort } : { protocol, hostPort, hostIP, hostFamily: hostIP.includes(':') ? 6 : 4 }

t.test('keysOverlap: the NodePorts rule (wildcard of a family vs its addresses, an address vs itself)', async (t) => {
  const cases: [string | undefined, string | undefined, boolean][] = [
    [undefined, undefined, true], [undefined, '0.0.0.0', true], [undefined, '::', true], [undefined, '127.0.0.1', true],
    [undefined, 'fd00::1', true], ['0.0.0.0', '0.0.0.0', true], ['0.0.0.0', '10.0.0.1', true], ['0.0.0.0', '127.0.0.1', true],
    ['0.0.0.0', '::', false], ['0.0.0.0', 'fd00::1', false], ['::', 'fd00::1', true], ['::', '10.0.0.1', false],
    ['10.0.0.1', '10.0.0.1', true], ['10.0.0.1', '10.0.0.2', false], ['10.0.0.1', 'fd00::1', false], ['fd00::1', 'fd00::1', true],
  ]
  for (const [a, b, want] of cases) {
    t.equal(keysOverlap(k(a), k(b)), want, `${a ?? 'unset'} vs ${b ?? 'unset'}`)
    t.equal(keysOverlap(k(b), k(a)), want, 'symmetric')
  }
  t.equal(keysOverlap(k(undefined, 'udp'), k(undefined, 'tcp')), false, 'other protocol')
  t.equal(keysOverlap(k(undefined, 'tcp', 80), k(undefined, 'tcp', 81)), false, 'other port')
})

t.test('claimsOf: every overlapping pair shares an element key with different targets (EEXIST either way)', async (t) => {
  const keys = [undefined, '0.0.0.0', '::', '10.0.0.1', '10.0.0.2', '127.0.0.1', 'fd00::1'].map((ip) => k(ip))
  for (const [i, a] of keys.entries()) {
    for (const [j, b] of keys.entries()) {
      if (i === j) continue
      const ca = claimsOf(a, 'pm-a')
      const cb = claimsOf(b, 'pm-b')
      const collide = ca.some((x) => cb.some((y) => x.map === y.map && JSON.stringify(x.key) === JSON.stringify(y.key) && x.target !== y.target))
      t.equal(collide, keysOverlap(a, b), `${a.hostIP ?? 'unset'} (pod a) vs ${b.hostIP ?? 'unset'} (pod b)`)
    }
  }
  t.same(claimsOf(k('10.0.0.1'), 'pm-a'), [
    { map: 'ports4', key: ['tcp', 8080], target: 'specific4' },
    { map: 'hostip4', key: ['10.0.0.1', 'tcp', 8080], target: 'pm-a' },
  ], 'two holders of different addresses add the same ports4 element: no conflict between them')
})

t.test('an address holder creates the shared chain, references it last, and its DEL cleanup is the kernel-counted release', async (t) => {
  const cmds = JSON.stringify(podAddCommands('pm-a', [{ expr: [{ jump: { target: 'sp4-tcp-8080' } }] }], [k('10.0.0.1')]))
  t.ok(cmds.indexOf('"name":"sp4-tcp-8080"') < cmds.indexOf('"jump"'), 'the shared chain exists before the rule that jumps to it')
  t.equal(sharedChainOf(k('fd00::1', 'udp', 53)), 'sp6-udp-53')
  t.equal(sharedChainOf(k('0.0.0.0')), undefined, 'wildcards hold no shared chain')
  t.same(sharedReleaseCommands('sp4-tcp-8080').map((c) => Object.keys(c)[0] + ' ' + Object.keys(Object.values(c)[0] as object)[0]), [
    'add chain', 'add element', 'delete element', 'delete chain',
  ])
})

const live = { network: 'testnet', containerId: 'ctr1', ifname: 'eth0' }
const pubReq = (mappings: object[]) => request(baseConf({ snat: false, prevResult: prevResult(['10.0.0.2/24']), runtimeConfig: { portMappings: mappings } }), { containerId: live.containerId })

t.test('publishing a wildcard over the same pod\'s address: released first, in the same transaction', async (t) => {
  const before = [parseMappingSpec('8080:80', '10.0.0.1')]
  const next = nextMappings(before, [parseMappingSpec('8080:80')], [])
  t.same(next, [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }], 'the wildcard covers the address: one mapping left')
  const plan = await planAdd(pubReq([{ hostPort: 8080, containerPort: 80 }]), fakeFor({}), { release: before })
  const nft = plan.steps.filter((s) => s.kind === 'nft')
  t.equal(nft.length, 1, 'one transaction')
  const batch = JSON.stringify(nft[0])
  const release = batch.indexOf('"delete":{"element":{"family":"inet","table":"cni_portmap_v2","name":"hostip4"')
  const shared = batch.indexOf('"delete":{"chain":{"family":"inet","table":"cni_portmap_v2","name":"sp4-tcp-8080"')
  const claim = batch.lastIndexOf('"add":{"element":{"family":"inet","table":"cni_portmap_v2","name":"ports4"')
  t.ok(release > 0 && shared > release && claim > shared, 'address released, its port entry freed, then the wildcard claimed')
})

t.test('unpublishing one address of several: its shared chain is freed after the transaction, best effort', async (t) => {
  const before = [parseMappingSpec('8080:80', '10.0.0.1'), parseMappingSpec('9090:90')]
  const plan = await planAdd(pubReq([{ hostPort: 9090, containerPort: 90 }]), fakeFor({}), { release: [before[0] as HostKey] })
  const nft = plan.steps.filter((s) => s.kind === 'nft')
  t.equal(nft.length, 2)
  t.notMatch(JSON.stringify(nft[0]), /"delete":\{"chain":\{[^}]*"sp4-tcp-8080"/, 'not in the main transaction (other holders may remain)')
  t.equal(nft[1]?.ignoreFailure, true)
  t.match(JSON.stringify(nft[1]), /"delete":\{"chain":\{[^}]*"name":"sp4-tcp-8080"/)
})

t.test('nextMappings refuses an overlap to another container port (code 7), as ADD does', async (t) => {
  t.throws(() => nextMappings([parseMappingSpec('8080:80')], [parseMappingSpec('8080:81', '10.0.0.1')], []), { code: 7 })
})

t.test('ports publish: a key another attachment holds is refused with code 100 naming it; nothing else is applied', async (t) => {
  const { changePorts } = await import('../../../meta-plugins/portmap/publish.js')
  const T = { family: 'inet', table: 'cni_portmap_v2' }
  const owner = 'pm-aaaaaaaaaaaaaaaa'
  const host = fakeFor({ responses: { 'nft -j list table inet cni_portmap_v2': [
    { map: { ...T, name: 'ports4', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: owner } }]] } },
    { chain: { ...T, name: owner } },
    { rule: { ...T, chain: owner, comment: 'k=tcp/8080 if=eth0 net=testnet cid=pod1', expr: [] } },
  ] } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const live = {
    portmap: { type: 'portmap', snat: false, stateDir: '/run/pmtest' }, network: 'testnet', cniVersion: '1.0.0', containerId: 'pod2',
    ifname: 'eth0', netns: '/run/netns/pod2', prevResult: prevResult(['10.0.0.3/24']), current: [],
  }
  await t.rejects(changePorts(host, live, [parseMappingSpec('8080:80', '192.168.0.9')], []),
    { code: 100, msg: 'host port tcp/8080@192.168.0.9 is already mapped', details: /owned by container pod1 .* for tcp\/8080;/ })
  t.equal(host.calls.filter((c) => c.tool === 'nft').length, 1, 'one transaction tried')
  t.equal(host.files.contents.size, 0, 'the record written first is gone again')
})
