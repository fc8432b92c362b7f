// A host port owned by another attachment: the batch fails with EEXIST; the error names the owner.
// DEL that meets a foreign key retries with exactly the elements that point at its own chain.
import t from 'tap'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { CniError } from '../../../src/cni/errors.js'
import { HostError } from '../../../src/host/types.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { baseConf, fakeFor, prevResult, request } from './helpers.js'

const mine = podChainName('testnet', 'ctr1', 'eth0')
const theirs = podChainName('testnet', 'other', 'eth0')
const table = (owner: string) => [
  { map: { family: 'inet', table: 'cni_portmap_v1', name: 'anyip', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: owner } }]] } },
  { chain: { family: 'inet', table: 'cni_portmap_v1', name: owner } },
  { rule: { family: 'inet', table: 'cni_portmap_v1', chain: owner, comment: 'k=tcp/8080 if=eth0 net=testnet cid=other', expr: [] } },
]
const conf = baseConf({ snat: false, runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] }, prevResult: prevResult(['10.0.0.2/24']) })

t.test('ADD conflict → code 100 naming the owner', async (t) => {
  const host = fakeFor({ responses: { 'nft -j list table inet cni_portmap_v1': table(theirs) } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const err = await pluginFromMeta(portmapPlugin).add!(request(conf), host).catch((e: unknown) => e)
  t.type(err, CniError)
  t.equal((err as CniError).code, 100)
  t.equal((err as CniError).msg, 'host port tcp/8080 is already mapped')
  t.match((err as CniError).details, /container other \(network testnet, interface eth0/)
  t.equal(host.calls.filter((c) => c.tool === 'nft').length, 1, 'one transaction tried, nothing else applied')
})

t.test('ADD failing for another reason is not reported as a conflict', async (t) => {
  const host = fakeFor({ responses: { 'nft -j list table inet cni_portmap_v1': table(mine) } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const err = await pluginFromMeta(portmapPlugin).add!(request(conf), host).catch((e: unknown) => e)
  t.notOk(err instanceof CniError && err.code === 100)
  t.match(String((err as Error).message), /File exists/)
})

t.test('DEL meeting a key owned by someone else retries without it', async (t) => {
  const host = fakeFor({
    responses: { 'nft -j list table inet cni_portmap_v1': [...table(theirs), { chain: { family: 'inet', table: 'cni_portmap_v1', name: mine } }] },
    files: { [`/run/pmtest/attachments/${mine}`]: '{}' },
  })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  await pluginFromMeta(portmapPlugin).del!(request(conf, { command: 'DEL' }), host)
  const batches = host.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.equal(batches.length, 3, 'first try, then release + chain delete')
  t.match(batches[0], /8080/, 'first try names the key')
  t.notMatch(batches[1], /8080/, 'retry leaves the foreign element alone')
  t.match(batches[1], new RegExp(`"flush":\\{"chain":\\{[^}]*"name":"${mine}"`), 'retry empties its own chain')
  t.match(batches[2], new RegExp(`^\\[\\{"delete":\\{"chain":\\{[^}]*"name":"${mine}"`), 'then deletes it on its own')
})

t.test('DEL on a kernel before 6.2 (chain still referenced: EBUSY) succeeds; GC removes the empty chain', async (t) => {
  const own = [
    { map: { family: 'inet', table: 'cni_portmap_v1', name: 'anyip', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: mine } }]] } },
    { chain: { family: 'inet', table: 'cni_portmap_v1', name: mine } },
    { rule: { family: 'inet', table: 'cni_portmap_v1', chain: mine, comment: 'k=tcp/8080 if=eth0 net=testnet cid=ctr1', expr: [] } },
  ]
  const host = fakeFor({
    responses: { 'nft -j list table inet cni_portmap_v1': own },
    files: { [`/run/pmtest/attachments/${mine}`]: '{}' },
  })
  // the one-transaction DEL and the separate chain delete both meet EBUSY; the release does not
  let n = 0
  const apply = host.nft.apply
  host.nft.apply = async (batch) => {
    n++
    await apply(batch)
    if (n === 1 || n === 3) throw new HostError('nft', ['-j', '-f'], 'Error: Could not process rule: Device or resource busy')
  }
  await pluginFromMeta(portmapPlugin).del!(request(conf, { command: 'DEL' }), host)
  const batches = host.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.equal(batches.length, 3, 'DEL, release, chain delete (failed, ignored)')
  t.match(batches[1], /"delete":\{"element"/, 'the release removed the element')
  t.notMatch(batches[1], /"delete":\{"chain"/, 'and kept the chain')

  // later, GC finds the empty chain no element points at and removes it (any network's)
  const gc = fakeFor({ responses: { 'nft -j list table inet cni_portmap_v1': [{ chain: { family: 'inet', table: 'cni_portmap_v1', name: mine } }] } })
  await pluginFromMeta(portmapPlugin).gc!(request({ ...baseConf({}), 'cni.dev/valid-attachments': [] }, { command: 'GC' }), gc)
  const gcBatches = gc.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.match(gcBatches[0] ?? '', new RegExp(`"delete":\\{"chain":\\{[^}]*"name":"${mine}"`), 'GC deletes the leftover chain')
})

t.test('DEL when the table is gone: only local state is cleaned', async (t) => {
  const host = fakeFor({ files: { [`/run/pmtest/attachments/${mine}`]: '{}' } })
  host.failures.set('nft -j -f', 'Error: No such file or directory')
  await pluginFromMeta(portmapPlugin).del!(request(conf, { command: 'DEL' }), host)
  t.same(host.calls.filter((c) => c.tool === 'files'), [{ tool: 'files', args: ['remove', `/run/pmtest/attachments/${mine}`] }])
})
