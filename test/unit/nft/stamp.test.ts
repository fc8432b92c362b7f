// Skeleton stamps (src/nft/stamp.ts) and the nft step's fast transaction (src/plan/apply.ts):
// the first ADD writes the skeleton with its stamp, the next ones send only their own objects,
// a missing stamp (flush ruleset, a changed skeleton) brings the whole batch back, and a failure
// that is not "missing" is never retried with the whole batch.
import t from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { add, chainObj, elementObj, flush, mapObj, ruleObj, tableObj, type TableRef } from '../../../src/nft/build.js'
import { isStampName, stampAssert, stampName, stamped } from '../../../src/nft/stamp.js'
import type { NftCommand } from '../../../src/nft/types.js'
import { applyPlan } from '../../../src/plan/apply.js'
import type { Plan } from '../../../src/plan/types.js'

const T: TableRef = { family: 'inet', table: 'stamp_test' }
const skeleton: NftCommand[] = [
  add(tableObj(T)),
  add(mapObj(T, 'pods', ['ipv4_addr'], 'verdict')),
  add(chainObj(T, 'forward', { type: 'filter', hook: 'forward', prio: 0 })),
  flush(chainObj(T, 'forward')),
  add(ruleObj(T, 'forward', [{ vmap: { key: { payload: { protocol: 'ip', field: 'daddr' } }, data: '@pods' } }])),
]
const own = (n: number): NftCommand[] => [
  add(chainObj(T, `pod${n}`)),
  add(elementObj(T, 'pods', [[`10.0.0.${n}`, { jump: { target: `pod${n}` } }]])),
]
const addPlan = (n: number, skel = skeleton): Plan => ({
  steps: [{ kind: 'nft', batch: [...stamped(T, skel), ...own(n)], fast: [stampAssert(T, skel), ...own(n)] }],
})

t.test('stamp names: from the skeleton, stable, and different for a different skeleton', async (t) => {
  t.equal(stampName(skeleton), stampName(JSON.parse(JSON.stringify(skeleton)) as NftCommand[]))
  t.not(stampName(skeleton), stampName(skeleton.slice(0, -1)))
  t.ok(isStampName(stampName(skeleton)))
  t.notOk(isStampName('stamp-xyz'))
  t.same(stamped(T, skeleton).slice(0, skeleton.length), skeleton, 'the skeleton first, its stamp after')
})

t.test('first ADD: the fast transaction finds no stamp, the whole batch runs; later ADDs: fast only', async (t) => {
  const host = createSemanticHost()
  await applyPlan(addPlan(1), host)
  t.equal(host.calls.length, 2, 'fast (failed: no stamp), then the whole batch')
  t.same(host.calls[1]?.args, addPlan(1).steps[0]?.kind === 'nft' ? (addPlan(1).steps[0] as { batch: unknown }).batch : undefined)
  await applyPlan(addPlan(2), host)
  t.equal(host.calls.length, 3, 'one transaction')
  t.same(host.calls[2]?.args, [stampAssert(T, skeleton), ...own(2)], 'without the skeleton')
  const world = JSON.stringify(host.snapshot())
  t.match(world, /"pod1"/)
  t.match(world, /"pod2"/)
})

t.test('a changed skeleton (new stamp) is written again by the next ADD', async (t) => {
  const host = createSemanticHost()
  await applyPlan(addPlan(1), host)
  const changed = [...skeleton, add(chainObj(T, 'extra'))]
  await applyPlan(addPlan(2, changed), host)
  t.equal(host.calls.length, 4, 'fast failed again, whole batch again')
  t.match(JSON.stringify(host.snapshot()), /"extra"/)
})

t.test('a fast transaction failing for another reason fails the step: no retry with the skeleton', async (t) => {
  const host = createSemanticHost()
  await applyPlan(addPlan(1), host)
  host.failWhen(() => true, { stderr: 'Error: Could not process rule: File exists' })
  const err = await applyPlan(addPlan(2), host).catch((e: unknown) => e)
  t.match(String(err), /File exists/)
  t.equal(host.calls.length, 3, 'only the fast transaction was tried')
})

t.test('inUseIsFine: an undo refused with EBUSY (another user) is no leak; without it, it is reported', async (t) => {
  const U: TableRef = { family: 'inet', table: 'busy_test' }
  const setup = async () => {
    const host = createSemanticHost()
    await host.nft.apply([
      add(tableObj(U)), add(chainObj(U, 'shared')), add(chainObj(U, 'other')),
      add(ruleObj(U, 'other', [{ jump: { target: 'shared' } }])),
    ])
    host.failWhen((c) => c.tool === 'ip')
    return host
  }
  const plan = (inUseIsFine: boolean): Plan => ({
    steps: [
      { kind: 'nft', batch: [add(chainObj(U, 'shared'))], undo: [{ kind: 'nft', batch: [{ delete: chainObj(U, 'shared') }], ...(inUseIsFine ? { inUseIsFine: true as const } : {}) }] },
      { kind: 'ip', args: ['link', 'set', 'x', 'up'] },
    ],
  })
  const fine = await applyPlan(plan(true), await setup()).catch((e: unknown) => e)
  t.ok(fine instanceof Error, 'the plan failed (its ip step)')
  t.notMatch(String((fine as { details?: string }).details ?? ''), /rollback incomplete/, 'the ip failure alone')
  const leak = await applyPlan(plan(false), await setup()).catch((e: unknown) => e)
  t.match(String((leak as { details?: string }).details ?? ''), /rollback incomplete/, 'EBUSY reported when not marked')
})
