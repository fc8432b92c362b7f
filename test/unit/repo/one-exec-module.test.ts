// Processes start in one place: src/host/exec.ts is the only product file that imports execa
// (or node:child_process), so every program cni-chain runs goes through argument arrays, never a
// shell. Plugin binaries too (src/invoke/exec-plugin.ts calls execWithInput).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../../..')
const files = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? files(p) : /\.(ts|mts)$/.test(e.name) ? [p] : []
  })

t.test('only src/host/exec.ts starts processes', async (t) => {
  const starters = ['src', 'meta-plugins', 'chain']
    .flatMap(files)
    .filter((f) => /(from\s+|import\s*\(\s*)['"](execa|node:child_process|child_process)['"]/.test(readFileSync(join(root, f), 'utf8')))
    .map((f) => relative(root, join(root, f)))
  t.same(starters, ['src/host/exec.ts'])
})
