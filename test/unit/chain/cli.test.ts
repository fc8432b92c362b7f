// The cni-chain CLI from source (same loader as tap): cnitool-like defaults, add/check/del/gc/
// status/version, and errors as one line with the CNI code. The netns argument must be a namespace
// file: /proc/self/ns/net is one that needs no root (the recorder plugin never enters it).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { childEnv } from '../../lib/child-env.js'
import { FIXTURES, readLog } from './fixtures/helpers.js'

// the CLI from today's sources, bundled once (running it through the TS loader costs seconds per call)
const MAIN = resolve(import.meta.dirname, '../../../chain/cli/main.ts')
const BUNDLE = join(t.testdirName, 'cni-chain.mjs')
await build({
  entryPoints: [MAIN], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
t.teardown(() => rmSync(t.testdirName, { recursive: true, force: true }))
const NS = '/proc/self/ns/net'

const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    encoding: 'utf8',
    env: childEnv({ CNI_PATH: FIXTURES, NETCONFPATH: '/nonexistent', ...env }),
    timeout: 60_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('add / check / del by network name with cnitool defaults', async (t) => {
  const dir = t.testdir()
  const log = join(dir, 'log')
  writeFileSync(join(dir, '10-net1.conflist'), JSON.stringify({
    cniVersion: '1.1.0', name: 'net1',
    plugins: [{ type: 'recorder', tag: 'a', log, capabilities: { portMappings: true } }, { type: 'recorder', tag: 'b', log }],
  }))
  const cache = join(dir, 'cache')
  const common = ['--cache-dir', cache]
  const env = { NETCONFPATH: dir, CAP_ARGS: '{"portMappings":[{"hostPort":1,"containerPort":2,"protocol":"tcp"}]}', CNI_IFNAME: 'net0' }
  const add = cli(['add', 'net1', NS, ...common, '--args', 'IgnoreUnknown=1;A=b'], env)
  t.equal(add.code, 0, add.stderr)
  t.same(JSON.parse(add.stdout).interfaces.map((i: { name: string }) => i.name), ['a', 'b'])
  const id = `cnitool-${createHash('sha512').update(NS).digest('hex').slice(0, 20)}`
  t.same(readdirSync(join(cache, 'results')), [`net1-${id}-net0`])
  const first = readLog(dir)[0]
  t.same([first?.env.CNI_CONTAINERID, first?.env.CNI_IFNAME, first?.env.CNI_ARGS], [id, 'net0', 'IgnoreUnknown=1;A=b'])
  t.same(first?.stdin.runtimeConfig, { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] })

  const check = cli(['check', 'net1', NS, ...common], env)
  t.equal(check.code, 0, check.stderr)
  t.equal(check.stdout, '')
  const del = cli(['del', 'net1', NS, ...common], env)
  t.equal(del.code, 0, del.stderr)
  t.same(readLog(dir).map((l) => `${l.command}:${l.stdin.tag}`), ['ADD:a', 'ADD:b', 'CHECK:a', 'CHECK:b', 'DEL:b', 'DEL:a'])
  t.notOk(existsSync(join(cache, 'results', `net1-${id}-net0`)))
})

t.test('gc needs --valid or --all; status; version', async (t) => {
  const dir = t.testdir()
  const log = join(dir, 'log')
  const file = join(dir, 'n.conflist')
  writeFileSync(file, JSON.stringify({ cniVersion: '1.1.0', name: 'n', plugins: [{ type: 'recorder', log }] }))
  const cache = join(dir, 'cache')
  t.equal(cli(['add', file, NS, '--container-id', 'c1', '--cache-dir', cache]).code, 0)
  const bare = cli(['gc', file, '--cache-dir', cache])
  t.equal(bare.code, 1)
  t.match(bare.stderr, /one of --valid ID\/IFNAME or --all is required/)
  t.equal(cli(['gc', file, '--cache-dir', cache, '--valid', 'c1/eth0']).code, 0)
  t.same(readLog(dir).map((l) => l.command), ['ADD', 'GC'], 'valid attachment kept')
  t.equal(cli(['gc', file, '--cache-dir', cache, '--all']).code, 0)
  t.same(readLog(dir).map((l) => l.command), ['ADD', 'GC', 'DEL', 'GC'])
  t.equal(cli(['status', file]).code, 0)
  const v = cli(['version', 'recorder'])
  t.same(JSON.parse(v.stdout).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])
  t.same(JSON.parse(cli(['version']).stdout).cniVersion, '1.1.0')
})

t.test('errors are one line on stderr with the CNI code; --help everywhere', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'n.conflist')
  writeFileSync(file, JSON.stringify({ cniVersion: '1.1.0', name: 'n', plugins: [{ type: 'recorder', fail: { ADD: 7 } }] }))
  const r = cli(['add', file, NS, '--cache-dir', join(dir, 'cache')])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, 'cni-chain: plugin type="recorder" name="n" failed (add): recorder recorder failed: as told (ADD) (CNI error code 7)\n')
  const missing = cli(['add', join(dir, 'none.conflist'), NS])
  t.match(missing.stderr, /^cni-chain: error reading .*none\.conflist.*\(CNI error code 5\)\n$/)
  const strict = cli(['add', file, NS, '--bogus'])
  t.equal(strict.code, 1)
  t.match(strict.stderr, /Unknown argument: bogus/)
  t.equal(cli(['add', file, NS, '--cap-args', '[1]']).stderr, 'cni-chain: invalid capability args: must be a JSON object (CNI error code 6)\n')
  for (const cmd of ['add', 'check', 'del', 'gc', 'status', 'version']) {
    const h = cli([cmd, '--help'])
    t.equal(h.code, 0, cmd)
    t.match(h.stdout, new RegExp(`cni-chain ${cmd}`))
  }
})
