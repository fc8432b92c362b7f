// The span-keeping JSON parser: spans, strictness (what Go's encoding/json refuses), error
// positions with their JSON path, and the canonical form used to compare settings.
import t from 'tap'
import { canonicalText, JsonSyntaxError, parseJsonText, pathText, valueOf } from '../../../chain/cli/conflist/json-text.js'

t.test('spans cover each value exactly', async (t) => {
  const text = ' {"a": [1, "x", {"b": null}], "c" :true} '
  const root = parseJsonText(text)
  t.equal(root.kind, 'object')
  if (root.kind !== 'object') return
  t.equal(text.slice(root.start, root.end), '{"a": [1, "x", {"b": null}], "c" :true}')
  t.same(root.entries.map((e) => [e.key, text.slice(e.keyStart, e.keyEnd), text.slice(e.value.start, e.value.end)]),
    [['a', '"a"', '[1, "x", {"b": null}]'], ['c', '"c"', 'true']])
  t.same(valueOf(text, root), { a: [1, 'x', { b: null }], c: true })
})

t.test('agrees with JSON.parse on valid documents', async (t) => {
  for (const doc of ['0', '-0.5e+3', '"\\u00e9\\n\\""', '[]', '{}', '[[[]]]', '{"a":{"a":{"a":1}}}', '1E5', 'null', '"/"']) {
    const node = parseJsonText(doc)
    t.same(valueOf(doc, node), JSON.parse(doc), doc)
    t.equal(node.end, doc.length, doc)
  }
})

t.test('refuses what Go refuses, naming line, column and path', async (t) => {
  const bad = [
    ['{"a": 1,}', 1, 9, '$'],
    ['{\n  "a": [1, 2,]\n}', 2, 14, '$.a[2]'],
    ['{"plugins": [{"mtu": __X__}]}', 1, 22, '$.plugins[0].mtu'],
    ['// comment\n{}', 1, 1, '$'],
    ['\ufeff{}', 1, 1, '$'],
    ['{"a": 01}', 1, 8, '$'],
    ['{"a": "x\ty"}', 1, 9, '$.a'],
    ['{"a": 1} {}', 1, 10, '$'],
    ['{"a": tru}', 1, 7, '$.a'],
    ['', 1, 1, '$'],
    ["{'a': 1}", 1, 2, '$'],
  ] as const
  for (const [text, line, column, path] of bad) {
    t.throws(() => parseJsonText(text), JsonSyntaxError, JSON.stringify(text))
    try {
      parseJsonText(text)
    } catch (err) {
      const e = err as JsonSyntaxError
      t.same([e.line, e.column, e.path], [line, column, path], `${JSON.stringify(text)}: ${e.message}`)
    }
    t.throws(() => JSON.parse(text.replace(/^\ufeff/, 'x')), 'JSON.parse refuses it too')
  }
})

t.test('nesting is bounded', async (t) => {
  t.throws(() => parseJsonText('['.repeat(300) + ']'.repeat(300)), /nested deeper than 256/)
  t.doesNotThrow(() => parseJsonText('['.repeat(200) + ']'.repeat(200)))
})

t.test('canonical form: key order and spelling do not matter, values do', async (t) => {
  const c = (s: string) => canonicalText(s, parseJsonText(s))
  t.equal(c('{"b": 1, "a": {"y": "\\u0041", "x": [1, 2]}}'), c('{"a":{"x":[1,2],"y":"A"},"b":1}'))
  t.not(c('{"a": [1, 2]}'), c('{"a": [2, 1]}'))
  t.equal(c('{"a": 1, "a": 2}'), c('{"a": 2}'), 'the last duplicate wins, as in Go')
  t.equal(c('{"n": 18446744073709551615}'), '{"n":18446744073709551615}', 'big integers keep their digits')
  t.not(c('{"n": 18446744073709551615}'), c('{"n": 18446744073709551616}'))
  t.equal(c('{"n": 1.0}'), c('{"n": 1}'))
})

t.test('JSON paths', async (t) => {
  t.equal(pathText([]), '$')
  t.equal(pathText(['plugins', 0, 'type']), '$.plugins[0].type')
  t.equal(pathText(['cni.dev/valid-attachments', 'a b']), '$["cni.dev/valid-attachments"]["a b"]')
})
