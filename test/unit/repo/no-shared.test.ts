// The project owns everything its scripts, tests, benchmarks and CI run: none of them may reach
// into a folder beside the clone (the `shared` sibling some machines have and a user's clone has
// not). This scans those trees as text and fails on any reference to it, comments included.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const SCANNED = ['scripts', 'test', 'bench', '.ci', 'package.json']
const SKIPPED_DIRS = new Set(['node_modules', '.tap', '.cache', '.git'])

// Written so that this file does not match itself: a parent-relative path to `shared`, the same
// as path segments (dot-dot, then shared), or the absolute location of that sibling on CI machines.
const PATTERNS: RegExp[] = [
  /\.\.[/\\]+shared(?![\w.-])/,
  /['"`]\.\.['"`]\s*,\s*['"`]shared['"`]/,
  /\/work\/shared(?![\w.-])/,
]

const files = (path: string): string[] => {
  let st
  try {
    st = statSync(path)
  } catch {
    return [] // a tree the repo does not have (yet)
  }
  if (st.isFile()) return [path]
  if (!st.isDirectory()) return []
  return readdirSync(path).sort().filter((n) => !SKIPPED_DIRS.has(n)).flatMap((n) => files(join(path, n)))
}

/** sharedRefs returns `file:line: text` for every line under root/trees that references the sibling. */
export const sharedRefs = (root: string, trees: string[]): string[] =>
  trees.flatMap((tree) => files(join(root, tree))).flatMap((file) => {
    const st = statSync(file)
    if (st.size > 4 * 1024 * 1024) return []
    return readFileSync(file, 'utf8').split('\n').flatMap((line, i) =>
      PATTERNS.some((p) => p.test(line)) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [])
  })

t.test('nothing in scripts/, test/, bench/, .ci/ or package.json references the sibling shared folder', async (t) => {
  t.strictSame(sharedRefs(REPO, SCANNED), [], 'the project must own what it runs: copy facts, never read beside the clone')
})

t.test('the scan finds each form of such a reference (so the check above can fail)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cc-no-shared-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const up = '..'
  mkdirSync(join(root, 'scripts', 'lib'), { recursive: true })
  mkdirSync(join(root, 'test', 'node_modules'), { recursive: true })
  writeFileSync(join(root, 'scripts', 'lib', 'a.sh'), `ok\nsrc="$REPO/${up}/shared/tools"\n`)
  writeFileSync(join(root, 'scripts', 'b.ts'), `join(repo, '${up}', "shared", 'x')\n`)
  writeFileSync(join(root, 'package.json'), `{"x": "/work/${'shared'}/y"}\n`)
  writeFileSync(join(root, 'test', 'node_modules', 'c.js'), `'${up}/shared'\n`) // skipped tree
  writeFileSync(join(root, 'scripts', 'd.ts'), `'${up}/sharedx' and '${up}/shared-ish'; '${up}/other'\n`) // other folders
  t.strictSame(sharedRefs(root, SCANNED).map((hit) => hit.split(': ')[0]), [
    'scripts/b.ts:1',
    'scripts/lib/a.sh:2',
    'package.json:1',
  ])
})
