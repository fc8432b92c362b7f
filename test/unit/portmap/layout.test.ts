import t from 'tap'
import { isPodChainName, ownerComment, parseKeyString, parseOwnerComment, podChainName, keyString } from '../../../meta-plugins/portmap/layout.js'
import { parseConditions } from '../../../meta-plugins/portmap/conditions.js'

t.test('chain names: deterministic, distinct per network / container / ifname, valid identifiers', async (t) => {
  const a = podChainName('net', 'c1', 'eth0')
  t.equal(a, podChainName('net', 'c1', 'eth0'))
  t.ok(isPodChainName(a))
  t.not(a, podChainName('net2', 'c1', 'eth0'))
  t.not(a, podChainName('net', 'c1', 'eth1'))
})

t.test('owner comments: ≤128 bytes, key never cut, round trip', async (t) => {
  const key = { protocol: 'tcp' as const, hostPort: 8080, hostIP: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', hostFamily: 6 as const }
  const c = ownerComment(key, { network: 'n', containerId: 'x'.repeat(200), ifname: 'eth0' })
  t.ok(Buffer.byteLength(c) <= 128)
  const p = parseOwnerComment(c)
  t.same(p.key, key)
  t.equal(p.ifname, 'eth0')
  const short = parseOwnerComment(ownerComment({ protocol: 'udp', hostPort: 53 }, { network: 'net1', containerId: 'abc', ifname: 'eth0' }))
  t.same(short, { key: { protocol: 'udp', hostPort: 53 }, ifname: 'eth0', network: 'net1', containerId: 'abc' })
  t.same(parseKeyString(keyString({ protocol: 'sctp', hostPort: 9, hostIP: '10.0.0.1', hostFamily: 4 })), { protocol: 'sctp', hostPort: 9, hostIP: '10.0.0.1', hostFamily: 4 })
  t.equal(parseKeyString('tcp/70000'), undefined)
})

t.test('conditions grammar → nft JSON', async (t) => {
  t.same(parseConditions(['ip', 'saddr', '!=', '10.0.0.0/8', 'tcp sport 1000-2000', 'iifname eth*'], 4), [
    { match: { op: '!=', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } },
    { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'sport' } }, right: { range: [1000, 2000] } } },
    { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth*' } },
  ])
  t.throws(() => parseConditions(['ip saddr'], 4), /missing value/)
  t.throws(() => parseConditions(['meta mark 0x1ffffffff'], 4), /bad number/)
  t.throws(() => parseConditions(['iifname "a b"'], 4))
})
