// JSON from outside is bounded in depth (issue 8, item 7): 100,000 nested levels parse, but every
// recursive walk after JSON.parse would end in "Maximum call stack size exceeded".
import t from 'tap'
import { JsonDepthError, MAX_JSON_DEPTH, jsonDepthExceeds, parseJson } from '../../../src/cni/json.js'

const arrays = (n: number): string => '['.repeat(n) + ']'.repeat(n)
const objects = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n)

t.test('depth counts objects and arrays; scalars are level 0', async (t) => {
  t.notOk(jsonDepthExceeds(1, 0))
  t.notOk(jsonDepthExceeds({}, 1))
  t.ok(jsonDepthExceeds({}, 0))
  t.notOk(jsonDepthExceeds({ a: [1, { b: 2 }] }, 3))
  t.ok(jsonDepthExceeds({ a: [1, { b: 2 }] }, 2))
  t.ok(jsonDepthExceeds([[], [[[]]]], 3), 'the deepest branch counts, not the first')
})

t.test('parseJson: up to MAX_JSON_DEPTH levels pass; one more is a JsonDepthError', async (t) => {
  t.same(parseJson('{"a":[1,2]}'), { a: [1, 2] })
  t.doesNotThrow(() => parseJson(arrays(MAX_JSON_DEPTH)))
  t.doesNotThrow(() => JSON.stringify(parseJson(objects(MAX_JSON_DEPTH))), 'the accepted depth is safe to walk recursively')
  t.throws(() => parseJson(arrays(MAX_JSON_DEPTH + 1)), JsonDepthError)
  t.throws(() => parseJson(objects(MAX_JSON_DEPTH + 1)), { message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` })
  t.throws(() => parseJson('{'), SyntaxError)
})

t.test('100,000 levels: a JsonDepthError, not a stack overflow', async (t) => {
  t.throws(() => parseJson(arrays(100_000)), JsonDepthError)
  t.throws(() => parseJson(objects(100_000)), JsonDepthError)
  t.throws(() => parseJson(`{"cniVersion":"1.1.0","name":"n","x":${arrays(100_000)}}`), JsonDepthError)
})
