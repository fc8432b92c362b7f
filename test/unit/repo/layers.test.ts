// Imports point one way: src/ (core) ← meta-plugins/ ← chain/ ← chain/cli/. A meta plugin imports
// only src/ (never another plugin); nothing imports the CLI. This test reads every source file's
// relative imports and fails on any that points up (or sideways between plugins).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../../..')

/** layerOf: the layer of a repo-relative path, or undefined for files outside the product. */
export const layerOf = (p: string): { rank: number; unit: string } | undefined => {
  if (p.startsWith('src/')) return { rank: 0, unit: 'src' }
  const plugin = /^meta-plugins\/([^/]+)\//.exec(p)
  if (plugin) return { rank: 1, unit: `meta-plugins/${plugin[1]}` }
  if (p.startsWith('chain/cli/')) return { rank: 3, unit: 'chain/cli' }
  if (p.startsWith('chain/')) return { rank: 2, unit: 'chain' }
  return undefined
}

/** violation: why an import from `from` to `to` points the wrong way, or undefined when it is fine. */
export const violation = (from: string, to: string): string | undefined => {
  const a = layerOf(from)
  const b = layerOf(to)
  if (!a || !b) return undefined
  if (b.rank > a.rank) return `${a.unit} imports ${b.unit}, a layer above it`
  if (a.rank === 1 && b.rank === 1 && a.unit !== b.unit) return `${a.unit} imports ${b.unit}: meta plugins import only src/`
  return undefined
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(p)
    return /\.(ts|mts)$/.test(e.name) ? [p] : []
  })

const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string)

t.test('the rule itself', async (t) => {
  t.equal(violation('meta-plugins/portmap/a.ts', 'src/nft/build.ts'), undefined)
  t.equal(violation('chain/cli/main.ts', 'chain/executor.ts'), undefined)
  t.match(violation('src/cni/x.ts', 'chain/executor.ts'), /src imports chain/)
  t.match(violation('chain/runner.ts', 'chain/cli/main.ts'), /chain imports chain\/cli/)
  t.match(violation('meta-plugins/tuning/a.ts', 'meta-plugins/portmap/b.ts'), /meta plugins import only src/)
  t.match(violation('meta-plugins/tuning/a.ts', 'chain/cache.ts'), /a layer above/)
})

t.test('no import in the product points up', async (t) => {
  const bad: string[] = []
  let count = 0
  for (const file of ['src', 'meta-plugins', 'chain'].flatMap(sourceFiles)) {
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      count++
      const target = relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts')
      const why = violation(file, target)
      if (why) bad.push(`${file} -> ${spec}: ${why}`)
    }
  }
  t.ok(count > 100, `read ${count} imports`)
  t.same(bad, [], 'imports that point up')
})
