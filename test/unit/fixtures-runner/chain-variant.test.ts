// The two paths a chain can take give the same answer: every fixture whose list is an external
// interface plugin followed by built-in meta plugins is run again with those meta plugins inside
// one `chain` plugin entry (the single-process path), and every step must make the same plans,
// print the same result and leave the same host as through the executor.
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import t from 'tap'
import { builtinMeta } from '../../../chain/builtins.js'
import { fixtureFiles } from '../../../chain/fixtures/check-file.js'
import { runFixture } from '../../../chain/fixtures/engine.js'
import { loadFixtureList, parseFixture } from '../../../chain/fixtures/load.js'
import type { Fixture } from '../../../chain/fixtures/types.js'
import { fixtureWorld } from '../../../chain/fixtures/world.js'
import type { JsonObject } from '../../../src/cni/types.js'

const dir = resolve(import.meta.dirname, '../../../fixtures')

/** inChain: [external, meta...] with the metas moved into one chain entry offering their capabilities. */
const inChain = (list: { name: string; cniVersion: string; plugins: JsonObject[] }): JsonObject | undefined => {
  const [first, ...metas] = list.plugins
  if (!first || builtinMeta(String(first.type)) || metas.length === 0 || !metas.every((p) => builtinMeta(String(p.type)))) return undefined
  const capabilities: Record<string, boolean> = {}
  for (const p of metas) Object.assign(capabilities, p.capabilities ?? {})
  return { cniVersion: list.cniVersion, name: list.name, plugins: [first, { type: 'chain', capabilities, plugins: metas }] }
}

let compared = 0
for (const file of await fixtureFiles([dir])) {
  const lf = parseFixture(readFileSync(file, 'utf8'), file)
  // failing steps word their errors differently through the chain plugin (it names itself too)
  if (lf.fixture.steps.some((s) => s.expect.error)) continue
  let list
  try {
    list = await loadFixtureList(lf)
  } catch {
    continue
  }
  const conflist = inChain(list)
  if (!conflist) continue
  compared++
  t.test(relative(dir, file), async (t) => {
    const direct = await runFixture(lf, fixtureWorld)
    const variant: Fixture = { ...lf.fixture, conflist }
    const chained = await runFixture({ path: file, fixture: variant }, fixtureWorld)
    direct.steps.forEach((d, i) => {
      const c = chained.steps[i]
      t.same(c?.error, d.error, `step ${i} ${d.verb}: same outcome`)
      t.same(c?.plans, d.plans, `step ${i} ${d.verb}: same plans`)
      t.same(c?.result, d.result, `step ${i} ${d.verb}: same result`)
      t.same(c?.hostAfter, d.hostAfter, `step ${i} ${d.verb}: same host after`)
    })
  })
}
t.ok(compared >= 30, `${compared} fixtures run both ways`)
