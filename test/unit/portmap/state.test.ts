// State files: the record is written before the nft transaction (a crash in between leaves a
// record a DEL without portMappings can use) and removed again when the ADD fails; garbage in a
// record never leaks its route_localnet marker (DEL and GC find it by name).
import t from 'tap'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { parseAttachment } from '../../../meta-plugins/portmap/state.js'
import { baseConf, fakeFor, prevResult, request } from './helpers.js'

const plugin = pluginFromMeta(portmapPlugin)
const chain = podChainName('testnet', 'ctr1', 'eth0')
const record = `/run/pmtest/attachments/${chain}`
const marker = `/run/pmtest/localnet/cni0/${chain}`
const orig = '/run/pmtest/localnet/cni0/.orig'
const SYSCTL = '|net/ipv4/conf/cni0/route_localnet'
const conf = baseConf({ prevResult: prevResult(['10.0.0.2/24']), runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } })
const route = { 'ip -j route get 10.0.0.2': [{ dev: 'cni0' }] }

t.test('ADD writes the record before the nft transaction, then the localnet marker', async (t) => {
  const host = fakeFor({ responses: route, sysctls: { [SYSCTL]: '0' } })
  await plugin.add!(request(conf), host)
  const order = host.calls.map((c) => (c.tool === 'files' ? `${c.tool} ${(c.args as string[])[1]}` : c.tool))
  t.same(order.slice(0, 3), [`files ${record}`, 'nft', `files ${marker}`])
  t.equal(host.files.contents.get(record)?.content, '{"localnet":"cni0"}\n')
  t.equal(host.sysctls.get(SYSCTL), '1')
})

t.test('a failed ADD removes the record it wrote and changes no sysctl', async (t) => {
  const host = fakeFor({ responses: route, sysctls: { [SYSCTL]: '0' } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: Operation not permitted')
  await t.rejects(plugin.add!(request(conf), host))
  t.equal(host.files.contents.has(record), false, 'no record left')
  t.equal(host.sysctls.get(SYSCTL), '0')
  t.equal(host.calls.filter((c) => c.tool === 'sysctl').length, 0)
})

t.test('a failed re-ADD of a live attachment keeps its record', async (t) => {
  const host = fakeFor({ responses: route, sysctls: { [SYSCTL]: '1' }, files: { [record]: '{"localnet":"cni0"}\n' } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: Operation not permitted')
  await t.rejects(plugin.add!(request(conf), host))
  t.equal(host.files.contents.get(record)?.content, '{"localnet":"cni0"}\n')
})

t.test('a crash between record and nft: the DEL without portMappings finds the record, no chain, and cleans up', async (t) => {
  const host = fakeFor({ files: { [record]: '{"localnet":null}\n' } })
  await plugin.del!(request(baseConf(), { command: 'DEL' }), host)
  t.same(host.calls.filter((c) => c.tool === 'files'), [{ tool: 'files', args: ['remove', record] }])
  t.equal(host.calls.filter((c) => c.tool === 'nft').length, 0, 'no chain: nothing to remove in nft')
})

t.test('parseAttachment: only {"localnet": IFNAME|null} is trusted', async (t) => {
  t.same(parseAttachment('{"localnet":"cni0"}'), { localnet: 'cni0', trusted: true })
  t.same(parseAttachment('{"localnet":null}'), { trusted: true })
  for (const garbage of ['', 'garbage', '{}', '[]', 'null', '{"localnet":"../etc"}', '{"localnet":5}', '{"localnet":".orig"}', '{"__proto__":{"localnet":"cni0"}}']) {
    t.same(parseAttachment(garbage), { trusted: false }, JSON.stringify(garbage))
  }
})

const liveLocalnet = (extraFiles: Record<string, string> = {}) => fakeFor({
  sysctls: { [SYSCTL]: '1' },
  files: { [record]: 'this is not json', [marker]: '', [orig]: '0', ...extraFiles },
})

t.test('DEL with a garbage record: the marker is found by name, route_localnet goes back to its original', async (t) => {
  const host = liveLocalnet()
  await plugin.del!(request(conf, { command: 'DEL' }), host)
  t.equal(host.sysctls.get(SYSCTL), '0', 'restored')
  t.same([...host.files.contents.keys()], [], 'marker, .orig and record gone')
})

t.test('DEL with a garbage record while another pod uses route_localnet on the interface: left at 1', async (t) => {
  const host = liveLocalnet({ '/run/pmtest/localnet/cni0/pm-aaaaaaaaaaaaaaaa': '' })
  await plugin.del!(request(conf, { command: 'DEL' }), host)
  t.equal(host.sysctls.get(SYSCTL), '1')
  t.same([...host.files.contents.keys()].sort(), [orig, '/run/pmtest/localnet/cni0/pm-aaaaaaaaaaaaaaaa'])
})

t.test('GC of a stale attachment with a garbage record restores route_localnet too', async (t) => {
  const host = liveLocalnet()
  host.responses.set('nft -j list table inet cni_portmap_v2', [
    { chain: { family: 'inet', table: 'cni_portmap_v2', name: chain } },
    { rule: { family: 'inet', table: 'cni_portmap_v2', chain, comment: 'k=tcp/8080 if=eth0 net=testnet cid=ctr1', expr: [] } },
  ])
  await plugin.gc!(request({ ...baseConf({ cniVersion: '1.1.0' }), 'cni.dev/valid-attachments': [] }, { command: 'GC' }), host)
  t.equal(host.sysctls.get(SYSCTL), '0')
  t.same([...host.files.contents.keys()], [])
})
