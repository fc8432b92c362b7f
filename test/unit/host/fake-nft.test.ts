// The semantic fake's nftables: atomic batches, the kernel's answers, and `nft -j list` shapes
// (the same facts test/e2e/fake-vs-real.test.ts checks against the real nft).
import t, { type Test } from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { HostError } from '../../../src/host/types.js'
import type { NftCommand } from '../../../src/nft/types.js'

const T = { family: 'inet', table: 't' }
const table = (): NftCommand => ({ add: { table: { family: 'inet', name: 't' } } })
const chain = (name: string, verb: 'add' | 'create' | 'delete' | 'flush' = 'add', base?: object): NftCommand =>
  ({ [verb]: { chain: { ...T, name, ...base } } })
const map = (): NftCommand => ({ add: { map: { ...T, name: 'm', type: ['inet_proto', 'inet_service'], map: 'verdict' } } })
const elem = (verb: 'add' | 'create' | 'delete', port: number, target?: string): NftCommand =>
  ({ [verb]: { element: { ...T, name: 'm', elem: [target ? [{ concat: ['tcp', port] }, { goto: { target } }] : { concat: ['tcp', port] }] } } })
const rule = (chainName: string, expr: unknown[], comment?: string): NftCommand =>
  ({ add: { rule: { ...T, chain: chainName, expr, ...(comment ? { comment } : {}) } } })
const match = (left: unknown, right: unknown, op = '=='): unknown => ({ match: { op, left, right } })
const payload = (protocol: string, field: string): unknown => ({ payload: { protocol, field } })
const meta = (key: string): unknown => ({ meta: { key } })

const setup = async () => {
  const host = createSemanticHost()
  await host.nft.apply([
    table(), map(), chain('pre', 'add', { type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' }), chain('p1'),
    rule('pre', [{ vmap: { key: { concat: [meta('l4proto'), payload('th', 'dport')] }, data: '@m' } }]),
    rule('p1', [match(payload('tcp', 'dport'), 8080), { dnat: { family: 'ip', addr: '10.0.0.2', port: 80 } }], 'owner=a'),
    elem('add', 8080, 'p1'),
  ])
  return host
}

const failsWith = async (t: Test, host: ReturnType<typeof createSemanticHost>, batch: NftCommand[], reason: HostError['reason'], text: RegExp) => {
  const before = host.snapshot()
  const err = await host.nft.apply(batch).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof HostError, 'a HostError')
  t.equal((err as HostError).reason, reason)
  t.match((err as HostError).stderr, text)
  t.same(host.snapshot(), before, 'nothing of the batch applied')
}

t.test('list table: table, maps with elements, chains, then rules chain by chain, with handles', async (t) => {
  const host = await setup()
  t.same(await host.nft.list(['table', 'inet', 't']), [
    { table: { family: 'inet', name: 't', handle: 1 } },
    { map: { family: 'inet', name: 'm', table: 't', type: ['inet_proto', 'inet_service'], handle: 1, map: 'verdict', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: 'p1' } }]] } },
    { chain: { family: 'inet', table: 't', name: 'pre', handle: 2, type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } },
    { chain: { family: 'inet', table: 't', name: 'p1', handle: 3 } },
    { rule: { family: 'inet', table: 't', chain: 'pre', handle: 4, expr: [{ vmap: { key: { concat: [meta('l4proto'), payload('th', 'dport')] }, data: '@m' } }] } },
    { rule: { family: 'inet', table: 't', chain: 'p1', handle: 5, comment: 'owner=a', expr: [match(payload('tcp', 'dport'), 8080), { dnat: { family: 'ip', addr: '10.0.0.2', port: 80 } }] } },
  ])
  t.same(await host.nft.list(['chain', 'inet', 't', 'p1']), [
    { chain: { family: 'inet', table: 't', name: 'p1', handle: 3 } },
    { rule: { family: 'inet', table: 't', chain: 'p1', handle: 5, comment: 'owner=a', expr: [match(payload('tcp', 'dport'), 8080), { dnat: { family: 'ip', addr: '10.0.0.2', port: 80 } }] } },
  ])
  t.equal((await host.nft.list(['map', 'inet', 't', 'm']))?.length, 1)
  t.equal(await host.nft.list(['chain', 'inet', 't', 'nope']), undefined, 'missing chain: undefined')
  t.equal(await host.nft.list(['table', 'ip', 't']), undefined, 'family is part of the name')
  t.equal(await host.nft.list(['set', 'inet', 't', 'm']), undefined, 'a map is not a set')
  t.equal((await host.nft.list(['ruleset']))?.length, 6)
  t.same(host.calls.map((c) => c.tool), ['nft'], 'one recorded call')
  t.match(host.reads, [/^nft -j list table inet t$/])
})

t.test('EEXIST: create of an existing object, and an element of another value', async (t) => {
  const host = await setup()
  await failsWith(t, host, [chain('new'), { create: { table: { family: 'inet', name: 't' } } }], 'exists', /Could not process rule: File exists/)
  await failsWith(t, host, [chain('p2'), elem('add', 8080, 'p2')], 'exists', /File exists/)
  await failsWith(t, host, [elem('create', 8080, 'p1')], 'exists', /File exists/)
  await failsWith(t, host, [{ add: { map: { ...T, name: 'm', type: 'ipv4_addr', map: 'verdict' } } }], 'exists', /File exists/)
  await host.nft.apply([elem('add', 8080, 'p1'), table(), chain('p1'), map()])
  t.pass('re-adding what exists with the same value is a no-op')
})

t.test('ENOENT: deleting what is missing, or referring to it', async (t) => {
  const host = await setup()
  await failsWith(t, host, [chain('x'), chain('zz', 'delete')], 'not-found', /No such file or directory/)
  await failsWith(t, host, [elem('delete', 9999)], 'not-found', /No such file or directory/)
  await failsWith(t, host, [{ delete: { table: { family: 'ip', name: 'nope' } } }], 'not-found', /No such file/)
  await failsWith(t, host, [{ add: { chain: { family: 'inet', table: 'nope', name: 'x' } } }], 'not-found', /No such file/)
  await failsWith(t, host, [elem('add', 1, 'zz')], 'not-found', /No such file/)
  await failsWith(t, host, [rule('p1', [{ jump: { target: 'zz' } }])], 'not-found', /No such file/)
  await failsWith(t, host, [rule('p1', [{ vmap: { key: meta('l4proto'), data: '@nomap' } }])], 'not-found', /No such file/)
})

t.test('EBUSY: a chain an element or another chain\'s rule points at; fine once released in the same batch', async (t) => {
  const host = await setup()
  await failsWith(t, host, [chain('p1', 'flush'), chain('p1', 'delete')], 'busy', /Device or resource busy/)
  await host.nft.apply([chain('j'), rule('j', [{ jump: { target: 'p1' } }])])
  await failsWith(t, host, [elem('delete', 8080), chain('p1', 'delete')], 'busy', /busy/)
  await host.nft.apply([elem('delete', 8080), chain('j', 'delete'), chain('p1', 'delete')])
  t.equal(await host.nft.list(['chain', 'inet', 't', 'p1']), undefined, 'gone')
  t.same(await host.nft.list(['chain', 'inet', 't', 'j']), undefined, 'a chain with rules is deleted with them')
  await failsWith(t, host, [{ delete: { map: { ...T, name: 'm' } } }], 'busy', /busy/)
})

t.test('a base chain re-added with another priority, or a regular chain with a hook: EOPNOTSUPP; policy may change', async (t) => {
  const host = await setup()
  await failsWith(t, host, [chain('pre', 'add', { type: 'nat', hook: 'prerouting', prio: -50, policy: 'accept' })], 'other', /Operation not supported/)
  await failsWith(t, host, [chain('p1', 'add', { type: 'nat', hook: 'prerouting', prio: -100 })], 'other', /Operation not supported/)
  await failsWith(t, host, [chain('j2'), rule('j2', [{ jump: { target: 'pre' } }])], 'other', /Operation not supported/)
  await host.nft.apply([chain('pre', 'add', { type: 'nat', hook: 'prerouting', prio: -100, policy: 'drop' })])
  t.match(await host.nft.list(['chain', 'inet', 't', 'pre']), [{ chain: { policy: 'drop' } }])
})

t.test('a failed batch still consumes the handles it allocated (as the kernel does)', async (t) => {
  const host = await setup()
  await host.nft.apply([chain('a'), chain('zz', 'delete')]).catch(() => undefined)
  await host.nft.apply([chain('b')])
  t.match(await host.nft.list(['chain', 'inet', 't', 'b']), [{ chain: { handle: 7 } }], 'handle 6 went to the failed batch')
})

t.test('listing drops implied dependencies, masks prefixes and compresses IPv6, as nft 1.0.6', async (t) => {
  const host = await setup()
  const nf4 = match(meta('nfproto'), 'ipv4')
  await host.nft.apply([chain('c'),
    rule('c', [nf4, match(payload('ip', 'saddr'), { prefix: { addr: '10.9.1.1', len: 16 } }), match(payload('tcp', 'dport'), 1), { accept: null }]),
    rule('c', [nf4, match(payload('tcp', 'dport'), 1), { accept: null }]),
    rule('c', [match(meta('l4proto'), 'tcp'), match(payload('tcp', 'dport'), 1), { accept: null }]),
    rule('c', [match(meta('nfproto'), 'ipv6'), match(payload('ip6', 'daddr'), 'fd00:0:0::1'), match(payload('ip6', 'saddr'), { prefix: { addr: 'fd00::5', len: 128 } }), { accept: null }]),
    rule('c', [match(payload('ip', 'saddr'), { prefix: { addr: '10.0.0.1', len: 32 } }), { accept: null }]),
  ])
  const exprs = ((await host.nft.list(['chain', 'inet', 't', 'c'])) ?? []).slice(1).map((o) => o.rule?.expr)
  t.same(exprs, [
    [match(payload('ip', 'saddr'), { prefix: { addr: '10.9.0.0', len: 16 } }), match(payload('tcp', 'dport'), 1), { accept: null }],
    [nf4, match(payload('tcp', 'dport'), 1), { accept: null }],
    [match(payload('tcp', 'dport'), 1), { accept: null }],
    [match(payload('ip6', 'daddr'), 'fd00::1'), match(payload('ip6', 'saddr'), 'fd00::5'), { accept: null }],
    [match(payload('ip', 'saddr'), '10.0.0.1'), { accept: null }],
  ])
})

t.test('counters list as zero; an anonymous set takes a table handle before its rule', async (t) => {
  const host = await setup()
  await host.nft.apply([chain('c'), rule('c', [match(meta('iifname'), { set: ['a', 'b'] }), { counter: null }, { accept: null }]), rule('c', [{ drop: null }])])
  const rules = ((await host.nft.list(['chain', 'inet', 't', 'c'])) ?? []).slice(1).map((o) => o.rule)
  t.same(rules.map((r) => r?.handle), [8, 9], 'chain c is 6, the set 7')
  t.same(rules[0]?.expr, [match(meta('iifname'), { set: ['a', 'b'] }), { counter: { packets: 0, bytes: 0 } }, { accept: null }])
})

t.test('conflicting protocols in one rule are refused, as nft does', async (t) => {
  const host = await setup()
  await failsWith(t, host, [rule('p1', [match(payload('tcp', 'sport'), 1), match(payload('udp', 'dport'), 2), { accept: null }])], 'other', /conflicting protocols specified: tcp vs. udp/)
  await failsWith(t, host, [rule('p1', [match(payload('ip', 'saddr'), '1.2.3.4'), match(payload('ip6', 'daddr'), '::1'), { accept: null }])], 'other', /ip vs. ip6/)
})

t.test('sets, rule positions, flush table', async (t) => {
  const host = await setup()
  await host.nft.apply([
    { add: { set: { ...T, name: 's', type: 'ipv4_addr' } } },
    { add: { element: { ...T, name: 's', elem: ['1.2.3.4', '1.2.3.5'] } } },
    rule('p1', [match(payload('ip', 'saddr'), '@s'), { accept: null }]),
  ])
  t.match(await host.nft.list(['set', 'inet', 't', 's']), [{ set: { type: 'ipv4_addr', elem: ['1.2.3.4', '1.2.3.5'] } }])
  await failsWith(t, host, [{ delete: { set: { ...T, name: 's' } } }], 'busy', /busy/)
  const rules = ((await host.nft.list(['chain', 'inet', 't', 'p1'])) ?? []).slice(1).map((o) => o.rule?.handle as number)
  await host.nft.apply([{ insert: { rule: { ...T, chain: 'p1', handle: rules[1], expr: [{ drop: null }] } } }, { add: { rule: { ...T, chain: 'p1', handle: rules[0], expr: [{ return: null }] } } }])
  t.same(((await host.nft.list(['chain', 'inet', 't', 'p1'])) ?? []).slice(1).map((o) => Object.keys((o.rule?.expr as object[]).at(-1) ?? {})[0]), ['dnat', 'return', 'drop', 'accept'])
  await host.nft.apply([{ delete: { rule: { ...T, chain: 'p1', handle: rules[1] } } }])
  await host.nft.apply([{ flush: { table: { family: 'inet', name: 't' } } }])
  t.same(((await host.nft.list(['table', 'inet', 't'])) ?? []).filter((o) => o.rule), [], 'flush table empties every chain')
  t.match(await host.nft.list(['set', 'inet', 't', 's']), [{ set: { elem: ['1.2.3.4', '1.2.3.5'] } }], 'and keeps set elements')
  await host.nft.apply([{ delete: { table: { family: 'inet', name: 't' } } }])
  t.same(await host.nft.list(['ruleset']), [])
})

t.test('failure injection: the chosen call fails before taking effect, the next one runs', async (t) => {
  const host = createSemanticHost()
  const before = host.snapshot()
  host.failAt(0, 'boom')
  const err = await host.nft.apply([table()]).catch((e: unknown) => e)
  t.ok(err instanceof HostError && /boom/.test(err.stderr))
  t.same(host.snapshot(), before)
  await host.nft.apply([table()])
  t.equal((await host.nft.list(['tables']))?.length, 1)
  host.failWhen((c) => c.tool === 'nft', { times: 2 })
  t.rejects(host.nft.apply([chain('x')]))
  t.rejects(host.nft.apply([chain('x')]))
  await host.nft.apply([chain('x')])
  t.equal(host.calls.length, 5, 'failed calls are recorded too')
})

t.test('snapshot ignores handles and element order, not content', async (t) => {
  const a = createSemanticHost()
  const b = createSemanticHost()
  await a.nft.apply([table(), map(), chain('p1'), chain('p2'), elem('add', 1, 'p1'), elem('add', 2, 'p2')])
  await b.nft.apply([table(), chain('zz'), chain('zz', 'delete'), chain('p2'), chain('p1'), map(), elem('add', 2, 'p2'), elem('add', 1, 'p1')])
  t.same(a.snapshot(), b.snapshot())
  await b.nft.apply([elem('delete', 1), elem('add', 1, 'p2')])
  t.notSame(a.snapshot(), b.snapshot())
})
