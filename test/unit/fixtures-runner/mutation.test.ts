// Every fixture can fail: for each fixture in fixtures/, values spread over its expectations (a
// port, an address, a sysctl value, an error code, a plan step field...) are changed one at a time,
// and the run must then fail with a difference that names exactly that JSON path (or, for a value
// the format itself constrains, as an invalid file naming that path).
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import t from 'tap'
import { checkFixtureText, fixtureFiles } from '../../../chain/fixtures/check-file.js'
import { pathText, type PathSegment } from '../../../chain/fixtures/json-path.js'
import { fixtureWorld } from '../../../chain/fixtures/world.js'

const dir = resolve(import.meta.dirname, '../../../fixtures')
const files = await fixtureFiles([dir])

type Leaf = { path: PathSegment[]; value: unknown }

// leaves under steps[*].expect, except the claims (hostUnchanged/hostRestored: false claims nothing)
const leaves = (v: unknown, at: PathSegment[], out: Leaf[]): Leaf[] => {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...at, i], out))
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) leaves(x, [...at, k], out)
  else if (!['hostUnchanged', 'hostRestored', 'recovery'].includes(String(at.at(-1))) && v !== null) out.push({ path: at, value: v })
  return out
}

const mutated = (v: unknown): unknown => (typeof v === 'number' ? v + 1 : typeof v === 'boolean' ? !v : `${String(v)}-x`)

const setAt = (root: any, path: PathSegment[], value: unknown): void => {
  let o = root
  for (const k of path.slice(0, -1)) o = o[k]
  o[path.at(-1) as PathSegment] = value
}

/** up to `n` leaves spread evenly over the list (first and last included). */
const spread = <T>(xs: T[], n: number): T[] =>
  xs.length <= n ? xs : Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))] as T)

t.ok(files.length >= 40, `${files.length} fixtures`)
for (const file of files) {
  t.test(relative(dir, file), async (t) => {
    const text = readFileSync(file, 'utf8')
    const fx = JSON.parse(text) as { steps: { expect: unknown }[] }
    const all = fx.steps.flatMap((s, i) => leaves(s.expect, ['steps', i, 'expect'], []))
    const picked = spread(all, 4)
    t.ok(picked.length > 0 || all.length === 0, 'has values to change')
    for (const leaf of picked) {
      const copy = JSON.parse(text)
      setAt(copy, leaf.path, mutated(leaf.value))
      const check = await checkFixtureText(file, JSON.stringify(copy), fixtureWorld)
      const where = pathText(leaf.path)
      // a value the format constrains (a plan's verb) makes the file invalid instead: also named by path
      t.not(check.status, 'ok', `changing ${where} fails the fixture`)
      const named = check.mismatches.some((m) => pathText(m.path) === where) || check.problems.some((p) => p.includes(`${where}:`))
      t.ok(named, `the report names ${where}`)
    }
  })
}
