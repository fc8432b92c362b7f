// The builders produce the exact JSON nft 1.0.6 prints for the same rules (captured with nft -j list).
import t from 'tap'
import { chainObj, concat, dnat, gotoElem, markHas, markOr, markXor, masquerade, match, meta, payload, prefix, ruleObj, vmap } from '../../../src/nft/build.js'
import { listedRules, mapElements } from '../../../src/nft/read.js'
import type { NftObject } from '../../../src/nft/types.js'

const T = { family: 'inet' as const, table: 't' }

t.test('shapes', async (t) => {
  t.same(chainObj(T, 'pre', { type: 'nat', hook: 'prerouting', prio: -100 }),
    { chain: { family: 'inet', table: 't', name: 'pre', type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' } })
  t.same(ruleObj(T, 'post', [markHas(0x2000), markXor(0x2000), masquerade()]).rule?.expr, [
    { match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, 8192] }, right: 8192 } },
    { mangle: { key: { meta: { key: 'mark' } }, value: { '^': [{ meta: { key: 'mark' } }, 8192] } } },
    { masquerade: null },
  ])
  t.same(markOr(0x2000), { mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 8192] } } })
  t.same(vmap(concat(meta('l4proto'), payload('th', 'dport')), 'anyip'),
    { vmap: { key: { concat: [{ meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] }, data: '@anyip' } })
  t.same(dnat('ip6', 'fd00::2', 80), { dnat: { family: 'ip6', addr: 'fd00::2', port: 80 } })
  t.same(match(payload('ip', 'daddr'), prefix('127.0.0.0', 8)),
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { prefix: { addr: '127.0.0.0', len: 8 } } } })
  t.same(gotoElem(['tcp', 8080], 'c'), [{ concat: ['tcp', 8080] }, { goto: { target: 'c' } }])
})

t.test('readers', async (t) => {
  const objs: NftObject[] = [
    { map: { name: 'h4', elem: [[{ concat: ['10.0.0.1', 'tcp', 80] }, { goto: { target: 'pm1' } }], [{ concat: ['10.0.0.1', 'udp', 53] }, { accept: null }]] } },
    { rule: { chain: 'pm1', handle: 3, comment: 'k', expr: [{ return: null }] } },
    { rule: { chain: 'other', expr: [] } },
  ]
  t.same(mapElements(objs, 'h4'), [{ key: ['10.0.0.1', 'tcp', 80], target: 'pm1' }, { key: ['10.0.0.1', 'udp', 53] }])
  t.same(mapElements(objs, 'nope'), [])
  t.same(listedRules(objs, 'pm1'), [{ chain: 'pm1', handle: 3, comment: 'k', expr: [{ return: null }] }])
})
