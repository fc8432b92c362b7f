// mergePlans, table-driven: only the last step of one plan and the first step of the next merge,
// and only when both are nft transactions that must succeed. Steps are written as short strings:
//   "nft:X" an nft step adding table X (undo: delete X), "nft?:X" the same, best effort,
//   "ip:X" an ip step; a merged nft step prints as "nft:X+Y".
import t from 'tap'
import { mergePlans } from '../../../chain/plugin/merge-plans.js'
import type { Plan, PlannedStep } from '../../../src/plan/types.js'

const table = (name: string) => ({ table: { family: 'inet', name } })

const step = (s: string): PlannedStep => {
  const [kind, name = ''] = s.split(':')
  if (kind === 'ip') return { kind: 'ip', args: ['link', 'set', name, 'up'] }
  return {
    kind: 'nft',
    batch: [{ add: table(name) }],
    undo: [{ kind: 'nft', batch: [{ delete: table(name) }] }],
    ...(kind === 'nft?' ? { ignoreFailure: true } : {}),
  }
}

const show = (s: PlannedStep): string => {
  if (s.kind !== 'nft') return `${s.kind}:${(s as { args: string[] }).args[2]}`
  const names = s.batch.map((c) => (c as { add: ReturnType<typeof table> }).add.table.name).join('+')
  return `${s.ignoreFailure ? 'nft?' : 'nft'}:${names}`
}

const plans = (...ps: string[][]): Plan[] => ps.map((steps) => ({ steps: steps.map(step) }))

const cases: { name: string; plans: string[][]; steps: string[]; owners: number[][] }[] = [
  {
    name: 'last nft of A and first nft of B merge',
    plans: [['ip:a', 'nft:A'], ['nft:B', 'ip:b']],
    steps: ['ip:a', 'nft:A+B', 'ip:b'],
    owners: [[0], [0, 1], [1]],
  },
  {
    name: 'issue case 1: a later plugin\'s nft work is not moved ahead of its own earlier steps',
    plans: [['nft:A'], ['ip:b', 'nft:B']],
    steps: ['nft:A', 'ip:b', 'nft:B'],
    owners: [[0], [1], [1]],
  },
  {
    name: 'issue case 2: two transactions a plugin kept apart stay apart',
    plans: [['nft:A1', 'ip:a', 'nft:A2'], ['nft:A3-of-B']],
    steps: ['nft:A1', 'ip:a', 'nft:A2+A3-of-B'],
    owners: [[0], [0], [0, 1]],
  },
  {
    name: 'issue case 2: back-to-back nft steps of ONE plugin are not merged either',
    plans: [['nft:A1', 'nft:A2']],
    steps: ['nft:A1', 'nft:A2'],
    owners: [[0], [0]],
  },
  {
    name: 'issue case 3: best-effort steps of different plugins never share a transaction',
    plans: [['nft?:A'], ['nft?:B']],
    steps: ['nft?:A', 'nft?:B'],
    owners: [[0], [1]],
  },
  {
    name: 'a best-effort step is not merged with a required one, either way',
    plans: [['nft:A'], ['nft?:B'], ['nft:C']],
    steps: ['nft:A', 'nft?:B', 'nft:C'],
    owners: [[0], [1], [2]],
  },
  {
    name: 'a one-step plan joins both neighbours: three plugins in one transaction',
    plans: [['ip:a', 'nft:A'], ['nft:B'], ['nft:C', 'ip:c']],
    steps: ['ip:a', 'nft:A+B+C', 'ip:c'],
    owners: [[0], [0, 1, 2], [2]],
  },
  {
    name: 'an empty plan in between keeps the two adjacent',
    plans: [['nft:A'], [], ['nft:C']],
    steps: ['nft:A+C'],
    owners: [[0, 2]],
  },
  {
    name: 'a non-nft step between plans blocks the merge',
    plans: [['nft:A', 'ip:a'], ['nft:B']],
    steps: ['nft:A', 'ip:a', 'nft:B'],
    owners: [[0], [0], [1]],
  },
  { name: 'no plans', plans: [], steps: [], owners: [] },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const input = plans(...c.plans)
    const before = JSON.stringify(input)
    const merged = mergePlans(input)
    t.same(merged.plan.steps.map(show), c.steps)
    t.same(merged.owners, c.owners)
    t.equal(JSON.stringify(input), before, 'the input plans are not changed')
  })
}

t.test('the undo of a merged step undoes the later plugin first', async (t) => {
  const merged = mergePlans(plans(['nft:A'], ['nft:B'], ['nft:C']))
  t.same(merged.plan.steps[0]?.undo, ['C', 'B', 'A'].map((n) => ({ kind: 'nft', batch: [{ delete: table(n) }] })))
})

t.test('a merged step without any undo has none; one undo is kept', async (t) => {
  const bare = (n: string): PlannedStep => ({ kind: 'nft', batch: [{ add: table(n) }] })
  t.notOk('undo' in (mergePlans([{ steps: [bare('A')] }, { steps: [bare('B')] }]).plan.steps[0] ?? {}))
  t.same(mergePlans([{ steps: [bare('A')] }, { steps: [step('nft:B')] }]).plan.steps[0]?.undo, [{ kind: 'nft', batch: [{ delete: table('B') }] }])
})

t.test('the merged plan prints the last plan\'s result', async (t) => {
  const r = (n: string) => ({ cniVersion: '1.1.0', interfaces: [{ name: n }] })
  t.same(mergePlans([{ steps: [], result: r('a') }, { steps: [], result: r('b') }]).plan, { steps: [], result: r('b') })
  t.same(mergePlans([{ steps: [], result: r('a') }, { steps: [] }]).plan, { steps: [] })
})
