// Fixtures written by hand from fixtures/README.md alone (not recorded by `fixtures new`), for chains
// that are not in fixtures/: ptp + the chain plugin hosting tuning, and a refused macvlan + tuning.
// They must run as written.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { checkFixtureText, fixtureFiles } from '../../../chain/fixtures/check-file.js'
import { fixtureWorld } from '../../../chain/fixtures/world.js'

const dir = resolve(import.meta.dirname, 'hand-written')
const files = await fixtureFiles([dir])
t.equal(files.length, 2)
for (const file of files) {
  t.test(file, async (t) => {
    const check = await checkFixtureText(file, readFileSync(file, 'utf8'), fixtureWorld)
    t.equal(check.status, 'ok', [...check.problems, ...check.mismatches.map((m) => m.text)].join('\n'))
  })
}
