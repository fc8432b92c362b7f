// Run-time publishing (`cni-chain ports`): one nft batch per change, conntrack only for host ports
// whose mapping changes, and the libcni cache updated so a later DEL removes the new ports too.
import t from 'tap'
import { readCache, writeCache } from '../../../src/cni/cache.js'
import { CniError } from '../../../src/cni/errors.js'
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import type { NftCommand } from '../../../src/nft/types.js'
import { parseMappingSpec } from '../../../meta-plugins/portmap/publish.js'
import { changePorts, type PublishTarget } from '../../../chain/cli/publish.js'
import { prevResult } from '../portmap/helpers.js'

const target: PublishTarget = {
  network: 'pmnet',
  cniVersion: '1.0.0',
  plugins: [{ type: 'bridge' }, { type: 'portmap', snat: false, stateDir: '/state', capabilities: { portMappings: true } }],
  cacheDir: '/cache',
  containerId: 'pod-a',
  ifname: 'eth0',
}

// a live attachment: tcp 8080 -> 80 and udp 8053 -> 53 in the libcni cache
const liveHost = async (): Promise<FakeHost> => {
  const host = createFakeHost()
  await writeCache(host.files, target.cacheDir, {
    networkName: target.network,
    containerId: target.containerId,
    ifName: target.ifname,
    config: Buffer.from('{}'),
    netns: '/run/netns/pod1',
    capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostPort: 8053, containerPort: 53, protocol: 'udp' }] },
    result: prevResult(['10.0.0.2/24']),
  })
  host.calls.length = 0
  return host
}

const conntrackPorts = (host: FakeHost): unknown[] => host.calls.filter((c) => c.tool === 'conntrack').map((c) => (c.args as unknown[])[2])
const nftBatches = (host: FakeHost): NftCommand[][] => host.calls.filter((c) => c.tool === 'nft').map((c) => c.args as NftCommand[])
const cachedPorts = async (host: FakeHost): Promise<unknown> => {
  const read = await readCache(host.files, target.cacheDir, target.network, target.containerId, target.ifname)
  return read.kind === 'ok' ? (read.entry?.capabilityArgs?.portMappings as { hostPort: number }[]).map((m) => m.hostPort) : read.kind
}

t.test('publishing a TCP port: one transaction, no conntrack flush of unchanged ports, cache updated', async (t) => {
  const host = await liveHost()
  const next = await changePorts(host, target, [parseMappingSpec('9090:80/tcp')], [])
  t.same(next.map((m) => m.hostPort), [8080, 8053, 9090])
  t.equal(nftBatches(host).length, 1, 'one nft transaction')
  t.match(JSON.stringify(nftBatches(host)[0]), /\["tcp",9090\]/, 'the new key is in the batch')
  t.same(conntrackPorts(host), [], 'the live UDP flow of 8053 is left alone')
  t.same(await cachedPorts(host), [8080, 8053, 9090], 'cache holds the new set')
})

t.test('publishing a UDP port flushes conntrack for that port only', async (t) => {
  const host = await liveHost()
  await changePorts(host, target, [parseMappingSpec('5353:53/udp')], [])
  t.same(conntrackPorts(host), [5353])
})

t.test('unpublishing: owner-checked removal of the key, conntrack of that port, cache updated', async (t) => {
  const host = await liveHost()
  const next = await changePorts(host, target, [], [parseMappingSpec('8053:53/udp')])
  t.same(next.map((m) => m.hostPort), [8080])
  const batch = JSON.stringify(nftBatches(host)[0])
  t.match(batch, /"add":\{"element":\{[^}]*"name":"ports4","elem":\[\[\{"concat":\["udp",8053\]\},\{"goto"/, 'claims the key for its own chain first (EEXIST if another owns it)')
  t.match(batch, /"delete":\{"element":\{[^}]*"name":"ports4","elem":\[\{"concat":\["udp",8053\]\}\]/, 'then deletes it')
  t.same(conntrackPorts(host), [8053])
  t.same(await cachedPorts(host), [8080])
})

t.test('errors: no such attachment (code 3), unpublishing what is not published (code 7), bad spec (code 7)', async (t) => {
  const host = await liveHost()
  await t.rejects(changePorts(host, { ...target, containerId: 'nobody' }, [parseMappingSpec('9090:80')], []), { code: 3 })
  await t.rejects(changePorts(host, target, [], [parseMappingSpec('9999:80')]), { code: 7 })
  t.throws(() => parseMappingSpec('80'), CniError)
  t.throws(() => parseMappingSpec('70000:80'), { code: 7 })
  t.same(nftBatches(host), [], 'nothing reached nft')
})
