// A host port owned by another attachment: the batch fails with EEXIST; the error names the owner,
// for every overlap of Kubernetes' NodePorts rule and in both orders. DEL that meets a foreign key
// retries with exactly the elements that point at its own chain.
import t from 'tap'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { CniError } from '../../../src/cni/errors.js'
import { HostError } from '../../../src/host/types.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { findConflict } from '../../../meta-plugins/portmap/plan.js'
import { baseConf, fakeFor, prevResult, request } from './helpers.js'

const T = { family: 'inet', table: 'cni_portmap_v2' }
const LIST = 'nft -j list table inet cni_portmap_v2'
const mine = podChainName('testnet', 'ctr1', 'eth0')
const theirs = podChainName('testnet', 'other', 'eth0')
const elem = (map: string, key: (string | number)[], target: string) => ({ map: { ...T, name: map, elem: [[{ concat: key }, { goto: { target } }]] } })
const ownerRule = (chain: string, k: string, cid = 'other') => ({ rule: { ...T, chain, comment: `k=${k} if=eth0 net=testnet cid=${cid}`, expr: [] } })
/** `theirs` holds tcp/8080 on every address (hostIP unset) */
const wildcardTable = (owner: string) => [
  { map: { ...T, name: 'ports4', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: owner } }]] } },
  { map: { ...T, name: 'ports6', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: owner } }]] } },
  { chain: { ...T, name: owner } },
  ownerRule(owner, 'tcp/8080'),
]
/** `theirs` holds tcp/8080 on 192.168.0.5 only */
const specificTable = [
  elem('ports4', ['tcp', 8080], 'specific4'),
  elem('hostip4', ['192.168.0.5', 'tcp', 8080], theirs),
  { chain: { ...T, name: theirs } },
  ownerRule(theirs, 'tcp/8080@192.168.0.5'),
]
const conf = (hostIP?: string) => baseConf({
  snat: false, prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']),
  runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, ...(hostIP !== undefined ? { hostIP } : {}) }] },
})

const addConflict = async (table: unknown[], hostIP?: string) => {
  const host = fakeFor({ responses: { [LIST]: table } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const err = await pluginFromMeta(portmapPlugin).add!(request(conf(hostIP)), host).catch((e: unknown) => e)
  return { err: err as CniError, host }
}

t.test('wildcard first: every later claim of its family is refused with code 100 naming the owner', async (t) => {
  for (const hostIP of [undefined, '0.0.0.0', '127.0.0.1', '192.168.0.9', '::', 'fd00::1']) {
    const { err, host } = await addConflict(wildcardTable(theirs), hostIP)
    t.type(err, CniError, `hostIP ${hostIP}`)
    t.equal(err.code, 100, `hostIP ${hostIP}: code 100`)
    t.match(err.msg, /^host port tcp\/8080.* is already mapped$/)
    t.match(err.details, /owned by container other \(network testnet, interface eth0, chain pm-[a-z2-7]{16}\) for tcp\/8080;/)
    t.equal(host.calls.filter((c) => c.tool === 'nft').length, 1, 'one transaction tried, nothing else applied')
    t.same(host.calls.filter((c) => c.tool === 'files'), [{ tool: 'files', args: ['write', `/run/pmtest/attachments/${mine}`] }, { tool: 'files', args: ['remove', `/run/pmtest/attachments/${mine}`] }],
      'the record written first is removed again')
  }
})

t.test('specific first: the family wildcard and the same address are refused; the owner is the address holder', async (t) => {
  for (const hostIP of [undefined, '0.0.0.0', '192.168.0.5']) {
    const { err } = await addConflict(specificTable, hostIP)
    t.equal(err.code, 100, `hostIP ${hostIP}: code 100`)
    t.match(err.details, /owned by container other .* for tcp\/8080@192\.168\.0\.5;/, `hostIP ${hostIP}: names the address holder`)
  }
})

t.test('findConflict: no overlap, no conflict (another address, the other family, another protocol)', async (t) => {
  const keys = [
    { protocol: 'tcp' as const, hostPort: 8080, hostIP: '192.168.0.6', hostFamily: 4 as const },
    { protocol: 'tcp' as const, hostPort: 8080, hostIP: '::', hostFamily: 6 as const },
    { protocol: 'udp' as const, hostPort: 8080 },
  ]
  t.equal(findConflict(specificTable, keys, mine), undefined)
})

t.test('a stale goto-specific entry without any address holder is reported as such', async (t) => {
  const { err } = await addConflict([elem('ports4', ['tcp', 8080], 'specific4')])
  t.equal(err.code, 100)
  t.match(err.details, /no attachment holds any more \(stale; GC removes it\)/)
})

t.test('ADD failing for another reason is not reported as a conflict', async (t) => {
  const { err } = await addConflict(wildcardTable(mine))
  t.notOk(err instanceof CniError && err.code === 100)
  t.match(String((err as Error).message), /File exists/)
})

t.test('DEL meeting a key owned by someone else retries without it', async (t) => {
  const host = fakeFor({
    responses: { [LIST]: [...wildcardTable(theirs), { chain: { ...T, name: mine } }] },
    files: { [`/run/pmtest/attachments/${mine}`]: '{"localnet":null}' },
  })
  host.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  await pluginFromMeta(portmapPlugin).del!(request(conf(), { command: 'DEL' }), host)
  const batches = host.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.equal(batches.length, 3, 'first try, then release + chain delete')
  t.match(batches[0], /8080/, 'first try names the key')
  t.notMatch(batches[1], /8080/, 'retry leaves the foreign element alone')
  t.match(batches[1], new RegExp(`"flush":\\{"chain":\\{[^}]*"name":"${mine}"`), 'retry empties its own chain')
  t.match(batches[2], new RegExp(`^\\[\\{"delete":\\{"chain":\\{[^}]*"name":"${mine}"`), 'then deletes it on its own')
})

t.test('DEL of an address holder: its own transaction, then the shared port chain (best effort); a retry keeps that step', async (t) => {
  const own = [
    elem('ports4', ['tcp', 8080], 'specific4'),
    elem('hostip4', ['192.168.0.5', 'tcp', 8080], mine),
    { chain: { ...T, name: mine } },
    { chain: { ...T, name: 'sp4-tcp-8080' } },
    ownerRule(mine, 'tcp/8080@192.168.0.5', 'ctr1'),
    { rule: { ...T, chain: mine, expr: [{ jump: { target: 'sp4-tcp-8080' } }] } },
  ]
  const host = fakeFor({ responses: { [LIST]: own }, files: { [`/run/pmtest/attachments/${mine}`]: '{"localnet":null}' } })
  host.failures.set('nft -j -f', 'Error: Could not process rule: Device or resource busy')
  await pluginFromMeta(portmapPlugin).del!(request(conf('192.168.0.5'), { command: 'DEL' }), host)
  const batches = host.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.equal(batches.length, 4, 'DEL, release, chain delete, shared cleanup')
  t.match(batches[1], /"delete":\{"element":\{[^}]*"name":"hostip4"/, 'the release removed the address element')
  t.notMatch(batches[1], /"name":"ports4"/, 'but never the port entry other holders share')
  t.match(batches[3], /"delete":\{"chain":\{[^}]*"name":"sp4-tcp-8080"/, 'the shared chain cleanup comes last')
})

t.test('DEL on a kernel before 6.2 (chain still referenced: EBUSY) succeeds; GC removes the empty chain', async (t) => {
  const own = [...wildcardTable(mine).slice(0, 3), ownerRule(mine, 'tcp/8080', 'ctr1')]
  const host = fakeFor({
    responses: { [LIST]: own },
    files: { [`/run/pmtest/attachments/${mine}`]: '{"localnet":null}' },
  })
  // the one-transaction DEL and the separate chain delete both meet EBUSY; the release does not
  let n = 0
  const apply = host.nft.apply
  host.nft.apply = async (batch) => {
    n++
    await apply(batch)
    if (n === 1 || n === 3) throw new HostError('nft', ['-j', '-f'], 'Error: Could not process rule: Device or resource busy')
  }
  await pluginFromMeta(portmapPlugin).del!(request(conf(), { command: 'DEL' }), host)
  const batches = host.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.equal(batches.length, 3, 'DEL, release, chain delete (failed, ignored)')
  t.match(batches[1], /"delete":\{"element"/, 'the release removed the element')
  t.notMatch(batches[1], /"delete":\{"chain"/, 'and kept the chain')

  // later, GC finds the empty chain no element points at and removes it (any network's)
  const gc = fakeFor({ responses: { [LIST]: [{ chain: { ...T, name: mine } }] } })
  await pluginFromMeta(portmapPlugin).gc!(request({ ...baseConf({}), 'cni.dev/valid-attachments': [] }, { command: 'GC' }), gc)
  const gcBatches = gc.calls.filter((c) => c.tool === 'nft').map((c) => JSON.stringify(c.args))
  t.match(gcBatches[0] ?? '', new RegExp(`"delete":\\{"chain":\\{[^}]*"name":"${mine}"`), 'GC deletes the leftover chain')
})

t.test('DEL when the table is gone: only local state is cleaned', async (t) => {
  const host = fakeFor({ files: { [`/run/pmtest/attachments/${mine}`]: '{"localnet":null}' } })
  host.failures.set('nft -j -f', 'Error: No such file or directory')
  await pluginFromMeta(portmapPlugin).del!(request(conf(), { command: 'DEL' }), host)
  t.same(host.calls.filter((c) => c.tool === 'files'), [{ tool: 'files', args: ['remove', `/run/pmtest/attachments/${mine}`] }])
})
