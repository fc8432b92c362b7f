// The CLI as an attacker or a careless operator would call it (issue 8, items 1 and 7), from
// source: traversal names, empty path options, a plain file as netns and deep JSON are one clear
// error line with the CNI code; no plugin runs, nothing outside the cache dir changes, nothing is
// written in the current directory and no file's bytes reach the output. (The e2e twin,
// test/e2e/security-cli.test.ts, runs the built bin/cni-chain as root.)
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t, { type Test } from 'tap'
import { childEnv } from '../../lib/child-env.js'
import { FIXTURES, readLog } from './fixtures/helpers.js'

const MAIN = resolve(import.meta.dirname, '../../../chain/cli/main.ts')
const BUNDLE = join(t.testdirName, 'cni-chain.mjs')
await build({
  entryPoints: [MAIN], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
t.teardown(() => rmSync(t.testdirName, { recursive: true, force: true }))

// a namespace file that needs no root (the recorder plugin never enters it)
const NS = '/proc/self/ns/net'

// one world: a conflist of recorders (one declares portMappings), a cache dir holding pod1's real
// entry, victims where the traversal names lead, and an empty cwd
const DIR = join(t.testdirName, 'world')
const CACHE = join(DIR, 'cache')
const CWD = join(DIR, 'cwd')
const FILE = join(DIR, 'net.conflist')
const VICTIMS = { x: 'root:x:0:0:secret-bytes\n', 'y-eth0': 'not json at all', 'net-pod1': '{"kind":"cniCacheV1","containerId":"pod1","ifName":"eth0","networkName":"net","config":""}' }
mkdirSync(join(DIR, 'victim'), { recursive: true })
mkdirSync(join(DIR, 'elsewhere'), { recursive: true })
mkdirSync(CWD)
for (const [name, content] of Object.entries(VICTIMS)) writeFileSync(join(DIR, name === 'net-pod1' ? 'elsewhere' : 'victim', name), content)
writeFileSync(FILE, JSON.stringify({ cniVersion: '1.1.0', name: 'net', plugins: [{ type: 'recorder', log: join(DIR, 'log'), capabilities: { portMappings: true } }, { type: 'portmap', capabilities: { portMappings: true } }] }))

const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    encoding: 'utf8', cwd: CWD, timeout: 60_000,
    env: childEnv({ CNI_PATH: FIXTURES, NETCONFPATH: '/nonexistent', ...env }),
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const snapshot = () => {
  const files = [...Object.keys(VICTIMS).map((n) => join(DIR, n === 'net-pod1' ? 'elsewhere' : 'victim', n)), FILE]
  return {
    files: files.map((p) => ({ p, bytes: readFileSync(p, 'utf8'), mtime: statSync(p).mtimeMs })),
    victimDir: readdirSync(join(DIR, 'victim')).sort(),
    cwd: readdirSync(CWD),
    log: readLog(DIR).length,
  }
}

/** refused: exit 1, one line naming the problem with the code, no stdout, nothing changed, no leak. */
const refused = (t: Test, args: string[], code: number, msg: RegExp) => {
  const label = args.map((a) => a.replace(DIR, '…')).join(' ').slice(0, 160)
  const before = snapshot()
  const r = cli(args)
  t.equal(r.code, 1, `${label}: exit 1`)
  t.equal(r.stdout, '')
  t.match(r.stderr, new RegExp(`^cni-chain: ${msg.source}.*\\(CNI error code ${code}\\)\\n$`), label)
  t.notMatch(r.stderr, /root:x|secret-bytes|not json at all/, 'no victim bytes in the error')
  t.same(snapshot(), before, 'nothing read into a plugin, written, removed or created')
}

t.test('traversal in --ifname / --container-id: add, check and del refuse with code 4', async (t) => {
  for (const verb of ['add', 'check', 'del']) {
    refused(t, [verb, FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--ifname', '/../../../victim/x'], 4, /invalid interface name: interface name "\/\.\.\/\.\.\/\.\.\/victim\/x" is longer than 15 bytes/)
    refused(t, [verb, FILE, NS, '--cache-dir', CACHE, '--container-id', 'a/../../../victim/y'], 4, /invalid containerID: "a\/\.\.\/\.\.\/\.\.\/victim\/y" has invalid characters/)
    refused(t, [verb, FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--ifname', '..'], 4, /invalid interface name/)
  }
  refused(t, ['del', FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--ifname', 'a/b'], 4, /invalid interface name: interface name "a\/b" contains an invalid character/)
})

t.test('CNI_IFNAME from the environment is checked the same way', async (t) => {
  const before = snapshot()
  const r = cli(['del', FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1'], { CNI_IFNAME: '/../../../victim/x' })
  t.equal(r.code, 1)
  t.match(r.stderr, /invalid interface name.*\(CNI error code 4\)/)
  t.same(snapshot(), before)
})

t.test('ports publish / unpublish: a traversal container id or ifname is refused before anything is read', async (t) => {
  for (const verb of ['publish', 'unpublish']) {
    refused(t, ['ports', verb, 'pod1/../../../elsewhere/net-pod1', '9093:80', '--network', FILE, '--cache-dir', CACHE], 4, /invalid containerID/)
    refused(t, ['ports', verb, 'pod1', '9093:80', '--network', FILE, '--cache-dir', CACHE, '--ifname', '../../x'], 4, /invalid interface name/)
    refused(t, ['ports', verb, 'pod1', '9093:80', '--network', FILE, '--cache-dir', ''], 4, /invalid --cache-dir/)
  }
})

t.test('gc: a traversal --valid attachment is refused', async (t) => {
  refused(t, ['gc', FILE, '--cache-dir', CACHE, '--valid', 'a/../../x/eth0'], 4, /invalid interface name/)
  refused(t, ['gc', FILE, '--cache-dir', CACHE, '--valid', '../eth0'], 4, /invalid containerID/)
})

t.test('empty path options are refused (an empty path is the current directory): code 4', async (t) => {
  for (const verb of ['add', 'check', 'del']) {
    refused(t, [verb, FILE, NS, '--cache-dir', '', '--container-id', 'c1'], 4, /invalid --cache-dir: "": an empty path would be the current directory/)
    refused(t, [verb, 'net', NS, '--conf-dir', '', '--cache-dir', CACHE, '--container-id', 'c1'], 4, /invalid --conf-dir/)
    refused(t, [verb, '', NS, '--cache-dir', CACHE, '--container-id', 'c1'], 4, /invalid --network/)
    refused(t, [verb, FILE, '', '--cache-dir', CACHE, '--container-id', 'c1'], 4, /invalid --netns/)
    refused(t, [verb, FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--bin-dir', ''], 4, /invalid --bin-dir/)
  }
  refused(t, ['gc', FILE, '--cache-dir', '', '--all'], 4, /invalid --cache-dir/)
  refused(t, ['status', FILE, '--conf-dir', ''], 4, /invalid --conf-dir/)
  refused(t, ['ports', 'list', '--cache-dir', ''], 4, /invalid --cache-dir/)
})

t.test('a plain file as netns: code 4 naming it, on add and check', async (t) => {
  const plain = join(DIR, 'victim', 'x')
  for (const verb of ['add', 'check']) {
    refused(t, [verb, FILE, plain, '--cache-dir', CACHE, '--container-id', 'c1'], 4, new RegExp(`invalid CNI_NETNS: "${plain.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" is not a network namespace \\(not a namespace file\\)`))
  }
})

t.test('deep JSON: code 6 from --cap-args and from a conflist nested 100,000 deep', async (t) => {
  // one argument holds at most 128 KiB (MAX_ARG_STRLEN): 50,000 levels is as deep as --cap-args gets
  const arg = '['.repeat(50_000) + ']'.repeat(50_000)
  refused(t, ['add', FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--cap-args', `{"portMappings":${arg}}`], 6, /invalid capability args: JSON nested deeper than 256 levels/)
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const deepFile = join(DIR, 'deep.conflist')
  writeFileSync(deepFile, `{"cniVersion":"1.1.0","name":"deep","plugins":[{"type":"recorder","x":${deep}}]}`)
  refused(t, ['add', deepFile, NS, '--cache-dir', CACHE, '--container-id', 'c1'], 6, /error parsing configuration list .*deep\.conflist: JSON nested deeper than 256 levels/)
})

t.test('the same calls with valid names work (the refusals are not a broken CLI)', async (t) => {
  const add = cli(['add', FILE, NS, '--cache-dir', CACHE, '--container-id', 'c1', '--bin-dir', FIXTURES, '--no-builtins'])
  t.equal(add.code, 1, 'portmap is not a fixture: the point is that recorder ran')
  t.equal(readLog(DIR).at(-1)?.command, 'ADD')
  t.same(readdirSync(CWD), [], 'nothing in the cwd')
})
