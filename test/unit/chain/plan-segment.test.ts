// plan-segment.ts: plans made at once give what sequential planning gives.
import t from 'tap'
import { planAllInOrder, planThreaded } from '../../../chain/plugin/plan-segment.js'
import type { Result } from '../../../src/cni/types.js'

const r = (...names: string[]): Result => ({ cniVersion: '1.1.0', interfaces: names.map((name) => ({ name })) })

t.test('planThreaded: unchanged results → every plugin planned once, at the same time', async (t) => {
  const calls: string[] = []
  let running = 0
  let overlap = 0
  const planOne = async (sub: string, prev: Result | undefined) => {
    calls.push(`${sub}:${(prev?.interfaces ?? []).map((i) => i.name).join(',')}`)
    running++
    overlap = Math.max(overlap, running)
    await new Promise((res) => setTimeout(res, 5))
    running--
    return { sub, result: prev as Result }
  }
  const out = await planThreaded(['a', 'b', 'c'], r('eth0'), planOne, (p) => p.result)
  t.same(calls, ['a:eth0', 'b:eth0', 'c:eth0'])
  t.equal(overlap, 3, 'all three planned at once')
  t.same(out.prev, r('eth0'))
})

t.test('planThreaded: a plugin that changes the result → the next ones are planned again on it', async (t) => {
  const calls: string[] = []
  const planOne = async (sub: string, prev: Result | undefined) => {
    calls.push(`${sub}:${(prev?.interfaces ?? []).map((i) => i.name).join(',')}`)
    const names = (prev?.interfaces ?? []).map((i) => i.name)
    return { result: sub === 'b' ? r(...names, 'b') : (prev as Result) }
  }
  const out = await planThreaded(['a', 'b', 'c'], r('eth0'), planOne, (p) => p.result)
  t.same(calls, ['a:eth0', 'b:eth0', 'c:eth0', 'c:eth0,b'], 'c planned again on b\'s result')
  t.same(out.prev, r('eth0', 'b'))
})

t.test('planThreaded: the first error in plugin order is thrown, whichever fails first in time', async (t) => {
  const planOne = async (sub: string) => {
    if (sub === 'c') throw new Error('c failed (fast)')
    await new Promise((res) => setTimeout(res, 10))
    if (sub === 'b') throw new Error('b failed (slow)')
    return { result: r('eth0') }
  }
  await t.rejects(planThreaded(['a', 'b', 'c'], r('eth0'), planOne, (p) => p.result), /b failed/)
})

t.test('planAllInOrder: results in order; with halt nothing after the first error', async (t) => {
  const planOne = async (sub: string) => {
    if (sub.startsWith('x')) throw new Error(sub)
    return sub
  }
  t.same(await planAllInOrder(['a', 'x1', 'b', 'x2'], planOne, false), { items: ['a', 'b'], errors: [new Error('x1'), new Error('x2')] })
  t.same(await planAllInOrder(['a', 'x1', 'b', 'x2'], planOne, true), { items: ['a'], errors: [new Error('x1')] })
})

t.test('oneByOne: each plugin planned once, in order, never two at a time; nothing after a halting error', async (t) => {
  const calls: string[] = []
  let running = 0
  let overlap = 0
  const planOne = async (sub: string, prev?: Result) => {
    calls.push(sub)
    running++
    overlap = Math.max(overlap, running)
    await new Promise((res) => setTimeout(res, 2))
    running--
    if (sub === 'x') throw new Error('x')
    return { result: prev ?? r('eth0') }
  }
  await planThreaded(['a', 'b', 'c'], r('eth0'), planOne, (p) => p.result, true)
  t.same(calls, ['a', 'b', 'c'])
  t.equal(overlap, 1)
  calls.length = 0
  t.same((await planAllInOrder(['a', 'x', 'c'], (s) => planOne(s), true, true)).errors, [new Error('x')])
  t.same(calls, ['a', 'x'], 'c never planned')
})
