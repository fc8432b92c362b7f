// runLanes (chain/plugin/run-lanes.ts): between shared steps each plugin's steps run in order, the
// plugins side by side; a shared step waits for all of them; after a failure nothing new starts.
import t from 'tap'
import { mergePlans } from '../../../chain/plugin/merge-plans.js'
import { runLanes, unitsOf } from '../../../chain/plugin/run-lanes.js'
import { HostError, type Host } from '../../../src/host/types.js'
import type { Plan, PlannedStep } from '../../../src/plan/types.js'

/** a host whose ip/tc/nft calls log "start X"/"end X" and wait for each other as the test says */
const loggingHost = (opts: { waitFor?: Record<string, string>; fail?: string } = {}) => {
  const log: string[] = []
  const started = new Map<string, () => void>()
  const startedP = new Map<string, Promise<void>>()
  const gate = (name: string) => {
    if (!startedP.has(name)) startedP.set(name, new Promise((res) => started.set(name, res)))
    return startedP.get(name) as Promise<void>
  }
  const call = async (name: string): Promise<void> => {
    log.push(`start ${name}`)
    gate(name)
    started.get(name)?.()
    const other = opts.waitFor?.[name]
    if (other) {
      // bounded: a sequential runner would never start `other` while this waits
      const timeout = new Promise<string>((res) => setTimeout(() => res('timeout'), 2000))
      const r = await Promise.race([gate(other).then(() => 'ok'), timeout])
      log.push(`${name} saw ${other} start: ${r}`)
    }
    await new Promise((res) => setImmediate(res))
    log.push(`end ${name}`)
    if (opts.fail === name) throw new HostError('ip', [name], 'RTNETLINK answers: Operation not permitted')
  }
  const host = {
    ip: { run: async (cmds: string[][]) => { for (const c of cmds) await call(c.join(' ')) }, json: async () => [] },
    tc: { run: async (cmds: string[][]) => { for (const c of cmds) await call(c.join(' ')) }, json: async () => [] },
    nft: { apply: async (batch: unknown[]) => call(`nft ${batch.length}`), list: async () => [] },
  } as unknown as Host
  return { host, log }
}

const ip = (name: string, netns?: string): PlannedStep => ({ kind: 'ip', args: [name], ...(netns ? { netns } : {}) })
const nft = (name: string): PlannedStep => ({ kind: 'nft', batch: [{ add: { table: { family: 'inet', name } } }] })

t.test('two plugins\' steps run side by side; the shared transaction waits for both', async (t) => {
  const plans: Plan[] = [
    { steps: [ip('a1', '/pod'), nft('A')] },
    { steps: [ip('b1'), nft('B'), ip('b2')] },
  ]
  const { host, log } = loggingHost({ waitFor: { a1: 'b1' } })
  const { run, done } = await runLanes(mergePlans(plans), host)
  t.ok(run.ok)
  t.ok(log.includes('a1 saw b1 start: ok'), 'b1 started while a1 was running')
  const merged = log.indexOf('start nft 2')
  t.ok(merged > log.indexOf('end a1') && merged > log.indexOf('end b1'), 'the merged nft step after both lanes')
  t.ok(log.indexOf('start b2') > log.indexOf('end nft 2'), 'b2 after the shared step')
  t.equal(done.size, 4)
})

t.test('a failing lane: the other lane finishes its run, nothing after starts; failed and done say where', async (t) => {
  const plans: Plan[] = [
    { steps: [ip('a1', '/pod'), ip('a2', '/pod2'), nft('A')] },
    { steps: [ip('b1'), nft('B')] },
  ]
  const { host, log } = loggingHost({ fail: 'a1' })
  const merged = mergePlans(plans)
  const { run, done } = await runLanes(merged, host)
  t.notOk(run.ok)
  t.ok(log.includes('end b1'), 'the other lane finished')
  t.notOk(log.some((l) => l.startsWith('start nft') || l === 'start a2'), 'nothing after the failure started')
  if (!run.ok) {
    const failedSteps = run.failed.map((i) => merged.plan.steps[i])
    t.same(failedSteps, [ip('a1', '/pod')])
    t.same(run.applied.map((i) => merged.plan.steps[i]), [ip('b1')], 'b1 took effect (and will be undone by the caller)')
  }
  t.same([...done].map((i) => merged.plan.steps[i]), [ip('b1')])
})

t.test('a plugin with no part in the shared transaction does not wait for it (DEL: the ifb goes while nft commits)', async (t) => {
  const plans: Plan[] = [
    { steps: [nft('F')] },
    { steps: [ip('ifb-del')] },
    { steps: [nft('P'), ip('p-after')] },
  ]
  const { host, log } = loggingHost({ waitFor: { 'nft 2': 'ifb-del' } })
  const { run } = await runLanes(mergePlans(plans), host)
  t.ok(run.ok)
  t.ok(log.includes('nft 2 saw ifb-del start: ok'), 'the ifb removal ran while the transaction did')
  t.ok(log.indexOf('start p-after') > log.indexOf('end nft 2'), 'portmap\'s next step after its transaction')
})

t.test('units: a plugin\'s consecutive steps are one unit, a shared step waits for its plugins\' previous units', async (t) => {
  const merged = mergePlans([
    { steps: [ip('a1', '/a'), ip('a2', '/a2'), nft('A'), ip('a3', '/a')] },
    { steps: [ip('b1'), ip('b2', '/b')] },
    { steps: [ip('c1', '/c'), nft('C')] },
  ])
  const name = (k: number): string => {
    const s = merged.plan.steps[k] as PlannedStep
    return s.kind === 'ip' ? (s.args[0] as string) : 'nft'
  }
  t.same(unitsOf(merged).map((u) => ({ steps: u.idx.map(name), after: u.after })), [
    { steps: ['a1', 'a2'], after: [] },
    { steps: ['b1', 'b2'], after: [] },
    { steps: ['c1'], after: [] },
    { steps: ['nft'], after: [0, 2] },
    { steps: ['a3'], after: [3] },
  ])
})
