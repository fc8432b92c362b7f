// `cni-chain conflist ...` as a user runs it (the CLI bundled from today's sources): output, exit
// codes, files replaced atomically with their mode, broken input leaving the file untouched.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { childEnv } from '../../lib/child-env.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const UPSTREAM = join(ROOT, 'conflists/upstream')
const BUNDLE = join(t.testdirName, 'cni-chain.mjs')
await build({
  entryPoints: [join(ROOT, 'chain/cli/main.ts')], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
t.teardown(() => rmSync(t.testdirName, { recursive: true, force: true }))

const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: childEnv(env), timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** a file's bytes, mode and inode: "untouched" means all three are the same */
const fingerprint = (path: string) => {
  const st = statSync(path)
  return { bytes: readFileSync(path, 'utf8'), mode: st.mode, ino: st.ino, mtimeMs: st.mtimeMs }
}
const types = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { plugins: { type: string }[] }).plugins.map((p) => p.type)

const BANDWIDTH = '{"type":"bandwidth","capabilities":{"bandwidth":true}}'

t.test('append, append again, a broken --plugin, remove (the acceptance on Flannel)', async (t) => {
  const dir = t.testdir()
  const file = join(dir, '10-flannel.conflist')
  copyFileSync(join(UPSTREAM, 'flannel.conflist'), file)
  chmodSync(file, 0o640)
  const original = readFileSync(file, 'utf8')

  const a = cli(['conflist', 'append', file, '--plugin', BANDWIDTH])
  t.equal(a.code, 0, a.stderr)
  t.equal(a.stdout, `appended bandwidth in ${file}\n`)
  t.same(types(file), ['flannel', 'portmap', 'bandwidth'])
  t.same(JSON.parse(readFileSync(file, 'utf8')).plugins[0].delegate, { hairpinMode: true, isDefaultGateway: true })
  t.equal(statSync(file).mode & 0o777, 0o640, 'mode kept')
  t.same(readdirSync(dir), ['10-flannel.conflist'], 'no temp file left')

  const before = fingerprint(file)
  const again = cli(['conflist', 'append', file, '--plugin', BANDWIDTH])
  t.equal(again.code, 0)
  t.match(again.stdout, 'unchanged')
  t.same(fingerprint(file), before, 'a second append does not even rewrite the file')

  for (const bad of ['{"type":"bandwidth"', 'nope', '{"capabilities":{}}', '{"type":"x/y"}']) {
    const r = cli(['conflist', 'append', file, '--plugin', bad])
    t.equal(r.code, 1, bad)
    t.match(r.stderr, /^cni-chain: --plugin: /, bad)
    t.same(fingerprint(file), before, `${bad}: file untouched`)
  }
  const refused = cli(['conflist', 'append', file, '--plugin', '{"type":"bandwidth","capabilities":{"bandwidth":false}}', '--no-replace'])
  t.equal(refused.code, 1)
  t.match(refused.stderr, 'with other settings (--no-replace: not replaced)')
  t.same(fingerprint(file), before)
  const replaced = cli(['conflist', 'append', file, '--plugin', '{"type":"bandwidth"}'])
  t.equal(replaced.stdout, `replaced bandwidth in ${file}\n`)
  t.same(JSON.parse(readFileSync(file, 'utf8')).plugins[2], { type: 'bandwidth' })

  const rm = cli(['conflist', 'remove', file, '--type', 'bandwidth'])
  t.equal(rm.code, 0, rm.stderr)
  t.equal(rm.stdout, `removed 1 bandwidth plugin from ${file}\n`)
  t.equal(readFileSync(file, 'utf8'), original, 'back to the original bytes')
  t.match(cli(['conflist', 'remove', file, '--type', 'bandwidth']).stdout, 'unchanged: no bandwidth plugin')
  t.equal(statSync(file).mode & 0o777, 0o640)
})

t.test('broken files are refused and left untouched', async (t) => {
  const dir = t.testdir()
  const cases = {
    'template.conflist': readFileSync(join(UPSTREAM, 'calico.conflist.template'), 'utf8'),
    'single.conf': '{"cniVersion":"1.0.0","name":"n","type":"bridge"}',
    'noplugins.conflist': '{"name":"n"}',
    'notype.conflist': '{"name":"n","plugins":[{"type":"bridge"},{"mtu":1}]}',
    'latin1.conflist': Buffer.from('{"name":"caf\xe9","plugins":[{"type":"a"}]}', 'latin1'),
  }
  for (const [name, content] of Object.entries(cases)) {
    const file = join(dir, name)
    writeFileSync(file, content)
    const before = fingerprint(file)
    for (const args of [['append', file, '--plugin', BANDWIDTH], ['remove', file, '--type', 'bridge']]) {
      const r = cli(['conflist', ...args])
      t.equal(r.code, 1, `${name} ${args[0]}`)
      t.match(r.stderr, new RegExp(`^cni-chain: ${file.replace(/[.]/g, '\\.')}: `), `${name}: the error names the file`)
      t.same(fingerprint(file), before, `${name} ${args[0]}: untouched`)
    }
  }
  t.same(readdirSync(dir).sort(), Object.keys(cases).sort(), 'no temp files')
  t.match(cli(['conflist', 'append', join(dir, 'missing.conflist'), '--plugin', BANDWIDTH]).stderr, 'no such file')
  t.match(cli(['conflist', 'append', '', '--plugin', BANDWIDTH]).stderr, '--file: a path is required')
  t.match(cli(['conflist', 'remove', join(dir, 'x'), '--type', '../evil']).stderr, 'is not a plugin type')
})

t.test('a symlinked conflist is refused (editing would replace the link)', async (t) => {
  const dir = t.testdir({ 'real.conflist': readFileSync(join(UPSTREAM, 'flannel.conflist'), 'utf8'), 'link.conflist': t.fixture('symlink', 'real.conflist') })
  const r = cli(['conflist', 'append', join(dir, 'link.conflist'), '--plugin', BANDWIDTH])
  t.equal(r.code, 1)
  t.match(r.stderr, 'symbolic link')
})

t.test('validate: exit 0 for valid files, 1 with file and JSON path for each problem', async (t) => {
  const good = ['flannel', 'k3s', 'calico', 'cilium-chained-calico', 'podman'].map((f) => join(UPSTREAM, `${f}.conflist`))
  const ok = cli(['conflist', 'validate', ...good])
  t.equal(ok.code, 0, ok.stdout + ok.stderr)
  t.equal(ok.stdout, good.map((f) => `${f}: valid\n`).join(''))
  const dir = t.testdir({ 'bad.conflist': JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }, { type: 'tuning', mtu: 70000 }] }) })
  const template = join(UPSTREAM, 'calico.conflist.template')
  const bad = cli(['conflist', 'validate', good[0]!, template, join(dir, 'bad.conflist'), join(dir, 'missing.conflist')])
  t.equal(bad.code, 1)
  t.equal(bad.stdout, [
    `${good[0]}: valid`,
    `${template}: $.plugins[0].mtu: not JSON: unexpected character "_" (expected a value) at line 11 column 14`,
    `${join(dir, 'bad.conflist')}: $.plugins[1].mtu: tuning: must be <= 65535`,
    `${join(dir, 'missing.conflist')}: $: no such file`,
  ].join('\n') + '\n')
})

t.test('convert: .conf → .conflist, in place of the .conf unless --keep', async (t) => {
  const conf = '{\n  "cniVersion": "0.4.0",\n  "name": "mynet",\n  "type": "bridge"\n}\n'
  const dir = t.testdir({ '10-mynet.conf': conf })
  chmodSync(join(dir, '10-mynet.conf'), 0o600)
  const r = cli(['conflist', 'convert', join(dir, '10-mynet.conf')])
  t.equal(r.code, 0, r.stderr)
  t.same(readdirSync(dir), ['10-mynet.conflist'])
  t.same(JSON.parse(readFileSync(join(dir, '10-mynet.conflist'), 'utf8')), { cniVersion: '0.4.0', name: 'mynet', plugins: [JSON.parse(conf)] })
  t.equal(statSync(join(dir, '10-mynet.conflist')).mode & 0o777, 0o600, "the .conf's mode")
  writeFileSync(join(dir, 'other.conf'), conf)
  t.equal(cli(['conflist', 'convert', join(dir, 'other.conf'), '--keep', '--output', join(dir, 'x.conflist')]).code, 0)
  t.same(readdirSync(dir).sort(), ['10-mynet.conflist', 'other.conf', 'x.conflist'])
  writeFileSync(join(dir, 'clash.conf'), conf.replace('mynet', 'clash'))
  const clash = cli(['conflist', 'convert', join(dir, 'clash.conf'), '--output', join(dir, 'x.conflist')])
  t.equal(clash.code, 1)
  t.match(clash.stderr, 'exists with other content')
  t.match(cli(['conflist', 'convert', join(dir, 'x.conflist')]).stderr, 'already a conflist')
})

t.test('show: order, type, capabilities, the binary that serves it', async (t) => {
  const bin = t.testdir({ flannel: '#!/bin/sh\n', portmap: '#!/bin/sh\n# cni-chain launcher for the portmap plugin\n' })
  const r = cli(['conflist', 'show', join(UPSTREAM, 'flannel.conflist'), '--bin-dir', `${bin}:/nonexistent`])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, [
    `cbr0 (cniVersion 0.3.1) from ${join(UPSTREAM, 'flannel.conflist')}`,
    '#  type     capabilities  binary',
    `1  flannel  -             ${bin}/flannel`,
    `2  portmap  portMappings  ${bin}/portmap (cni-chain)`,
  ].join('\n') + '\n')
  const dir = t.testdir({ 'c.conflist': JSON.stringify({ cniVersion: '1.0.0', name: 'c', plugins: [{ type: 'bridge' }, { type: 'chain', capabilities: { portMappings: true }, plugins: [{ type: 'tuning' }, { type: 'portmap' }, { type: 'sbr' }] }] }) })
  const j = cli(['conflist', 'show', join(dir, 'c.conflist'), '--json'], { CNI_PATH: bin })
  t.equal(j.code, 0, j.stderr)
  t.same(JSON.parse(j.stdout).plugins, [
    { order: '1', type: 'bridge', capabilities: [] },
    { order: '2', type: 'chain', capabilities: ['portMappings'] },
    { order: '2.1', type: 'tuning', capabilities: [], origin: 'in-process' },
    { order: '2.2', type: 'portmap', capabilities: [], origin: 'in-process' },
    { order: '2.3', type: 'sbr', capabilities: [] },
  ])
})
