// mergePlans, table-driven: in rounds, every plan emits its steps up to its next required nft step,
// then those nft steps (one per plan) become one transaction. Steps are written as short strings:
//   "nft:X" an nft step adding table X (undo: delete X), "nft?:X" the same, best effort,
//   "nftg:X" the same, guarded (onlyIfDirHolds), "ip:X" an ip step; a merged nft step prints as
//   "nft:X+Y".
import t from 'tap'
import { mergePlans } from '../../../chain/plugin/merge-plans.js'
import type { Plan, PlannedStep } from '../../../src/plan/types.js'

const table = (name: string) => ({ table: { family: 'inet', name } })
const undoOf = (name: string): PlannedStep[] => [{ kind: 'nft', batch: [{ delete: table(name) }] }]

const step = (s: string): PlannedStep => {
  const [kind, name = ''] = s.split(':')
  if (kind === 'ip') return { kind: 'ip', args: ['link', 'set', name, 'up'] }
  return {
    kind: 'nft',
    batch: [{ add: table(name) }],
    undo: undoOf(name),
    ...(kind === 'nft?' ? { ignoreFailure: true } : {}),
    ...(kind === 'nftg' ? { onlyIfDirHolds: { dir: '/run/x', entries: ['.orig'] } } : {}),
  }
}

const show = (s: PlannedStep): string => {
  if (s.kind !== 'nft') return `${s.kind}:${(s as { args: string[] }).args[2]}`
  const names = s.batch.map((c) => (c as { add: ReturnType<typeof table> }).add.table.name).join('+')
  return `${s.ignoreFailure ? 'nft?' : s.onlyIfDirHolds ? 'nftg' : 'nft'}:${names}`
}

const plans = (...ps: string[][]): Plan[] => ps.map((steps) => ({ steps: steps.map(step) }))

const cases: { name: string; plans: string[][]; steps: string[]; owners: number[][] }[] = [
  {
    name: 'the chain plugin\'s ADD (tuning, portmap, bandwidth, firewall): one transaction across bandwidth\'s ip steps',
    plans: [['ip:t'], ['ip:p1', 'nft:P', 'ip:p2'], ['ip:b1', 'ip:b2'], ['nft:F', 'ip:f']],
    steps: ['ip:t', 'ip:p1', 'ip:b1', 'ip:b2', 'nft:P+F', 'ip:p2', 'ip:f'],
    owners: [[0], [1], [2], [2], [1, 3], [1], [3]],
  },
  {
    name: 'a later plugin\'s nft work is not moved ahead of its own earlier steps',
    plans: [['nft:A'], ['ip:b', 'nft:B']],
    steps: ['ip:b', 'nft:A+B'],
    owners: [[1], [0, 1]],
  },
  {
    name: 'an earlier plugin\'s later steps wait for the shared transaction',
    plans: [['nft:A', 'ip:a'], ['nft:B']],
    steps: ['nft:A+B', 'ip:a'],
    owners: [[0, 1], [0]],
  },
  {
    name: 'back-to-back nft steps of ONE plugin are not merged',
    plans: [['nft:A1', 'nft:A2']],
    steps: ['nft:A1', 'nft:A2'],
    owners: [[0], [0]],
  },
  {
    name: 'two nft steps of one plugin stay apart, each merges with another partner in its round',
    plans: [['nft:A1', 'ip:a', 'nft:A2'], ['nft:B1'], ['ip:c', 'nft:C1', 'nft:C2']],
    steps: ['ip:c', 'nft:A1+B1+C1', 'ip:a', 'nft:A2+C2'],
    owners: [[2], [0, 1, 2], [0], [0, 2]],
  },
  {
    name: 'a plan\'s second nft step merges with another plan\'s first when that one starts later',
    plans: [['nft:A1', 'nft:A2'], ['ip:b', 'ip:b2', 'nft:B']],
    steps: ['ip:b', 'ip:b2', 'nft:A1+B', 'nft:A2'],
    owners: [[1], [1], [0, 1], [0]],
  },
  {
    name: 'best-effort steps of different plugins never share a transaction',
    plans: [['nft?:A'], ['nft?:B']],
    steps: ['nft?:A', 'nft?:B'],
    owners: [[0], [1]],
  },
  {
    name: 'a best-effort step merges with nothing; the required steps around it still do',
    plans: [['nft:A'], ['nft?:B', 'nft:B2'], ['nft:C']],
    steps: ['nft?:B', 'nft:A+B2+C'],
    owners: [[1], [0, 1, 2]],
  },
  {
    name: 'a best-effort step after a plan\'s required one stays after it',
    plans: [['nft:A', 'nft?:A2'], ['nft:B']],
    steps: ['nft:A+B', 'nft?:A2'],
    owners: [[0, 1], [0]],
  },
  {
    name: 'a guarded (onlyIfDirHolds) nft step never merges',
    plans: [['nftg:A'], ['nftg:B'], ['nft:C']],
    steps: ['nftg:A', 'nftg:B', 'nft:C'],
    owners: [[0], [1], [2]],
  },
  {
    name: 'a guarded step keeps its place in its plan while the others merge',
    plans: [['nft:A', 'nftg:A2'], ['nftg:B', 'nft:B2']],
    steps: ['nftg:B', 'nft:A+B2', 'nftg:A2'],
    owners: [[1], [0, 1], [0]],
  },
  {
    name: 'an empty plan in between changes nothing',
    plans: [['nft:A'], [], ['nft:C']],
    steps: ['nft:A+C'],
    owners: [[0, 2]],
  },
  {
    name: 'plans without nft steps are concatenated',
    plans: [['ip:a', 'ip:a2'], ['ip:b']],
    steps: ['ip:a', 'ip:a2', 'ip:b'],
    owners: [[0], [0], [1]],
  },
  { name: 'one plan is itself', plans: [['ip:a', 'nft:A', 'ip:a2', 'nft:A2']], steps: ['ip:a', 'nft:A', 'ip:a2', 'nft:A2'], owners: [[0], [0], [0], [0]] },
  { name: 'no plans', plans: [], steps: [], owners: [] },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const input = plans(...c.plans)
    const before = JSON.stringify(input)
    const merged = mergePlans(input)
    t.same(merged.plan.steps.map(show), c.steps)
    t.same(merged.owners, c.owners)
    t.same(merged.parts.map((refs) => refs.map((r) => r.plan)), c.owners, 'parts name the owners')
    // every input step is carried exactly once, each plan's in its order; an unmerged one as it is
    input.forEach((plan, p) => {
      const carried = merged.parts.flatMap((refs) => refs.filter((r) => r.plan === p).map((r) => r.step))
      t.same(carried, plan.steps.map((_, i) => i), `plan ${p}: every step once, in order`)
    })
    merged.parts.forEach((refs, i) => {
      const [only] = refs
      if (refs.length === 1 && only) t.equal(merged.plan.steps[i], input[only.plan]?.steps[only.step], `step ${i} is the plan's own step`)
    })
    t.equal(JSON.stringify(input), before, 'the input plans are not changed')
  })
}

t.test('the undo of a merged step undoes the later plugin first, each plugin\'s undo in its order', async (t) => {
  const two: PlannedStep = { kind: 'nft', batch: [{ add: table('B') }], undo: [...undoOf('B'), ...undoOf('B2')] }
  const merged = mergePlans([{ steps: [step('nft:A')] }, { steps: [step('ip:b'), two] }, { steps: [step('nft:C')] }])
  t.same(merged.plan.steps.map(show), ['ip:b', 'nft:A+B+C'])
  t.same(merged.plan.steps[1]?.undo, [...undoOf('C'), ...undoOf('B'), ...undoOf('B2'), ...undoOf('A')])
})

t.test('a merged step without any undo has none; one undo is kept', async (t) => {
  const bare = (n: string): PlannedStep => ({ kind: 'nft', batch: [{ add: table(n) }] })
  t.notOk('undo' in (mergePlans([{ steps: [bare('A')] }, { steps: [bare('B')] }]).plan.steps[0] ?? {}))
  t.same(mergePlans([{ steps: [bare('A')] }, { steps: [step('nft:B')] }]).plan.steps[0]?.undo, undoOf('B'))
})

t.test('fast: every part\'s fast transaction, or its batch when it has none', async (t) => {
  const withFast = (n: string): PlannedStep => ({ ...step(`nft:${n}`), fast: [{ add: table(`${n}-fast`) }] } as PlannedStep)
  const some = mergePlans([{ steps: [withFast('A')] }, { steps: [step('nft:B')] }, { steps: [withFast('C')] }]).plan.steps
  t.equal(some.length, 1)
  t.same(some[0], {
    kind: 'nft',
    batch: [{ add: table('A') }, { add: table('B') }, { add: table('C') }],
    fast: [{ add: table('A-fast') }, { add: table('B') }, { add: table('C-fast') }],
    undo: [...undoOf('C'), ...undoOf('B'), ...undoOf('A')],
  })
  const none = mergePlans([{ steps: [step('nft:A')] }, { steps: [step('nft:B')] }]).plan.steps[0] ?? {}
  t.notOk('fast' in none, 'no part has fast: the merged step has none')
  const alone = withFast('A')
  t.equal(mergePlans([{ steps: [alone] }, { steps: [step('ip:b')] }]).plan.steps[1], alone, 'an unmerged step keeps its fast')
})

t.test('the merged plan prints the last plan\'s result', async (t) => {
  const r = (n: string) => ({ cniVersion: '1.1.0', interfaces: [{ name: n }] })
  t.same(mergePlans([{ steps: [], result: r('a') }, { steps: [], result: r('b') }]).plan, { steps: [], result: r('b') })
  t.same(mergePlans([{ steps: [], result: r('a') }, { steps: [] }]).plan, { steps: [] })
})
