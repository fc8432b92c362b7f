// `cni-chain fixtures run|new` from today's sources: a copy of fixtures/ elsewhere passes; a changed
// expected value fails with exit 1 and the JSON path; --update prints the change and repairs it;
// `fixtures new` prints a fixture that then passes.
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { childEnv } from '../../lib/child-env.js'

const REPO = resolve(import.meta.dirname, '../../..')
const BUNDLE = join(t.testdirName, 'cni-chain.mjs')
await build({
  entryPoints: [join(REPO, 'chain/cli/main.ts')], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
t.teardown(() => rmSync(t.testdirName, { recursive: true, force: true }))

const cli = (args: string[], cwd?: string) => {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: childEnv(), timeout: 120_000, ...(cwd ? { cwd } : {}) })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('a copy of fixtures/ elsewhere runs the same', async (t) => {
  const copy = join(t.testdir(), 'x')
  cpSync(join(REPO, 'fixtures'), copy, { recursive: true })
  const r = cli(['fixtures', 'run', copy])
  t.equal(r.code, 0, r.stdout.split('\n').filter((l) => !l.startsWith('ok')).join('\n'))
  t.match(r.stdout, /^\d+ fixtures: (\d+) passed, 0 failed$/m)
  const lines = r.stdout.trim().split('\n')
  t.ok(lines.slice(0, -1).every((l) => l.startsWith('ok   ')), 'one ok line per fixture')
})

t.test('a changed expected value fails with its JSON path; --update repairs it and says what changed', async (t) => {
  const copy = join(t.testdir(), 'x')
  cpSync(join(REPO, 'fixtures'), copy, { recursive: true })
  const file = join(copy, 'tuning', 'mtu.json')
  const fx = JSON.parse(readFileSync(file, 'utf8'))
  const plan = fx.steps[0].expect.plans[0]
  const ip = plan.steps.findIndex((s: { kind: string }) => s.kind === 'ip')
  t.same(plan.steps[ip].args.slice(-2), ['mtu', '1400'])
  plan.steps[ip].args[5] = '1500'
  writeFileSync(file, JSON.stringify(fx, null, 2))
  const fail = cli(['fixtures', 'run', join(copy, 'tuning')])
  t.equal(fail.code, 1)
  t.match(fail.stdout, `FAIL ${file}`)
  t.match(fail.stdout, `$.steps[0].expect.plans[0].steps[${ip}].args[5]: expected "1500", got "1400"`)
  t.match(fail.stdout, /failed/)
  t.match(fail.stderr, /fixtures failed/)
  const upd = cli(['fixtures', 'run', '--update', file])
  t.equal(upd.code, 0, upd.stdout)
  t.match(upd.stdout, `$.steps[0].expect.plans[0].steps[${ip}].args[5]: "1500" -> "1400"`)
  t.match(upd.stdout, /1 updated/)
  t.equal(cli(['fixtures', 'run', file]).code, 0, 'repaired')
})

t.test('a file that is not a fixture is reported, not run', async (t) => {
  const dir = t.testdir({ 'x.json': JSON.stringify({ description: 'd', steps: [] }) })
  const r = cli(['fixtures', 'run', dir])
  t.equal(r.code, 1)
  t.match(r.stdout, /BAD .*x\.json/)
  t.match(r.stdout, /\$\.conflist: required/)
})

t.test('fixtures new records a case that then passes', async (t) => {
  const dir = t.testdir()
  const r = cli(['fixtures', 'new', '--conflist', join(REPO, 'fixtures/conflists/bridge-tuning-portmap.conflist'),
    '--delegate-result', join(REPO, 'fixtures/results/bridge-v4.result.json'),
    '--cap-args', '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}', '--args', 'IgnoreUnknown=1;K8S_POD_NAME=web'])
  t.equal(r.code, 0, r.stderr)
  const fx = JSON.parse(r.stdout)
  t.same(fx.steps.map((s: { verb: string }) => s.verb), ['ADD', 'CHECK', 'DEL'])
  t.same(fx.runtime, { containerId: 'ctr1', netns: '/run/netns/pod1', ifname: 'eth0', capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }, cniArgs: 'IgnoreUnknown=1;K8S_POD_NAME=web' })
  t.same(fx.steps[0].expect.plans.map((p: { plugin: string }) => p.plugin), ['tuning', 'portmap'])
  t.ok(fx.steps[0].expect.result.ips, 'the result is recorded')
  const file = join(dir, 'case.json')
  writeFileSync(file, r.stdout)
  const run = cli(['fixtures', 'run', file])
  t.equal(run.code, 0, run.stdout)
  const missing = cli(['fixtures', 'new', '--conflist', join(REPO, 'fixtures/conflists/bridge-tuning-portmap.conflist')])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /--delegate-result/)
})

t.test('--prev-result is refused without --dry-run (a real verb never takes a result from a file)', async (t) => {
  for (const verb of ['add', 'del', 'check']) {
    const r = cli([verb, join(REPO, 'fixtures/conflists/bridge-tuning-portmap.conflist'), '/proc/self/ns/net', '--prev-result', join(REPO, 'fixtures/results/bridge-v4.result.json')])
    t.equal(r.code, 1, verb)
    t.match(r.stderr, /--prev-result needs --dry-run/, verb)
    t.equal(r.stdout, '', `${verb}: nothing ran`)
  }
})
