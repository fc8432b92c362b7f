// The nft expression types (src/nft/types.ts) reject what nft would refuse at run time. The proof
// is the typecheck (`tsc -p .`, part of npm test): each `@ts-expect-error` must meet an error.
import t from 'tap'
import { chainObj, drop, match, meta, payload, ruleObj, vmap } from '../../../src/nft/build.js'
import type { NftStatement } from '../../../src/nft/types.js'

const T = { family: 'inet', table: 't' } as const

// @ts-expect-error a verdict is a statement, not an expression to match
const verdictAsValue = match(meta('iifname'), drop())
// @ts-expect-error an expression alone is not a rule statement
const exprAsStatement: NftStatement[] = [payload('ip', 'daddr')]
// @ts-expect-error a chain object is not a statement
const objectInRule = ruleObj(T, 'c', [chainObj(T, 'x')])
// @ts-expect-error `<` is not one of the match operators we write
const badOp = match(meta('mark'), 1, '<')

t.test('the builders produce the typed shapes', async (t) => {
  const rule = ruleObj(T, 'c', [match(payload('ip', 'daddr'), '10.0.0.1'), vmap(meta('iifname'), 'm'), drop()])
  t.same(rule.rule?.expr, [
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '10.0.0.1' } },
    { vmap: { key: { meta: { key: 'iifname' } }, data: '@m' } },
    { drop: null },
  ])
  t.ok([verdictAsValue, exprAsStatement, objectInRule, badOp].length === 4)
})
