// The raw-JSON key scanner behind the duplicated-sysctl check.
import t from 'tap'
import { findDuplicateKeys } from '../../../meta-plugins/tuning/duplicate-keys.js'

const exact = (): boolean => false

t.test('finds repeats only in the wanted objects, with escapes decoded', async (t) => {
  const text = '{"a":{"x":1,"x":2},"sysctl":{"k":"{\\"k\\":1}","k":"2","n.\\u0061":"1","n.a":"2"},"arr":[{"k":1,"k":2}],"s":"}"}'
  t.same(findDuplicateKeys(text, [['sysctl']], exact), [{ path: ['sysctl'], key: 'k' }, { path: ['sysctl'], key: 'n.a' }])
  t.same(findDuplicateKeys(text, [['a']], exact), [{ path: ['a'], key: 'x' }])
  t.same(findDuplicateKeys(text, [['arr', '[0]']], exact), [{ path: ['arr', '[0]'], key: 'k' }])
})

t.test('paths match case-insensitively; struct objects fold key case', async (t) => {
  const text = '{"Args":{"CNI":{"Sysctl":{"k":"1","K":"2"}}},"sysctl":{},"SYSCTL":{}}'
  t.same(findDuplicateKeys(text, [['args', 'cni', 'sysctl']], exact), [], 'map keys differ in case: distinct sysctls')
  t.same(findDuplicateKeys(text, [[]], () => true), [{ path: [], key: 'SYSCTL' }])
})

t.test('no duplicates, whitespace, empty containers, nested arrays', async (t) => {
  t.same(findDuplicateKeys(' { "sysctl" : { } , "b" : [ [ ] , [ 1 , { } ] ] , "c" : null } ', [['sysctl']], exact), [])
})

t.test('malformed text throws', async (t) => {
  t.throws(() => findDuplicateKeys('{"a" 1}', [[]], exact), /malformed JSON/)
  t.throws(() => findDuplicateKeys('{"a":1} x', [[]], exact), /malformed JSON/)
  t.throws(() => findDuplicateKeys('{"a":"1}', [[]], exact), /malformed JSON/)
})
