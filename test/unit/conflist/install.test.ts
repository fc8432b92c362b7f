// `cni-chain install` / `uninstall` on plain temp dirs (no root, no network): stand-in plugin
// bundles that report how they were started, so the launchers can be run with `env -i`. The e2e
// tier (test/e2e/install.test.ts) does the same with the real plugins and real pods.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t, { type Test } from 'tap'
import { childEnv } from '../../lib/child-env.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const UPSTREAM = join(ROOT, 'conflists/upstream')
const NAMES = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain']
const BUNDLE = join(t.testdirName, 'cli', 'cni-chain.mjs')
await build({
  entryPoints: [join(ROOT, 'chain/cli/main.ts')], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
})
t.teardown(() => rmSync(t.testdirName, { recursive: true, force: true }))

// stand-in stubs: a CommonJS script with the build's shebang that prints what it was started with
// (the build's bundle and code cache beside them in .code/ are placed but not run here)
const SOURCE = join(t.testdirName, 'source')
mkdirSync(join(SOURCE, '.code'), { recursive: true })
writeFileSync(join(SOURCE, '.code', 'version.cjs'), '// the VERSION bundle\n')
for (const name of NAMES) {
  writeFileSync(join(SOURCE, '.code', `${name}.cjs`), `// ${name} bundle\n`)
  writeFileSync(join(SOURCE, '.code', `${name}.cache`), `${name} cache\n`)
  writeFileSync(join(SOURCE, name), `#!/usr/bin/env node\nprocess.stdout.write(JSON.stringify({ plugin: ${JSON.stringify(name)}, command: process.env.CNI_COMMAND, path: process.env.PATH, module: typeof require }) + '\\n')\n`)
}

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: childEnv(), timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** every file under dir (relative path → bytes, mode, mtime): "changes nothing" means equal snapshots */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`)
      else {
        const st = statSync(p)
        out[`${rel}${e.name}`] = `${st.mode.toString(8)} ${st.mtimeMs} ${readFileSync(p).toString('base64')}`
      }
    }
  }
  walk(dir, '')
  return out
}

const types = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { plugins: { type: string }[] }).plugins.map((p) => p.type)

const node = (t: Test, files: Record<string, string> = {}) => {
  const dir = t.testdir({ bin: {}, net: files })
  return { bin: join(dir, 'bin'), conf: join(dir, 'net'), common: ['--bin-dir', join(dir, 'bin'), '--conf-dir', join(dir, 'net'), '--source-dir', SOURCE] }
}

t.test('install on Flannel: launchers run with env -i, the list gains tuning and bandwidth, a second run changes nothing', async (t) => {
  const flannel = readFileSync(join(UPSTREAM, 'flannel.conflist'), 'utf8')
  const n = node(t, { '10-flannel.conflist': flannel, '20-other.conflist': flannel.replace('cbr0', 'other'), '00-notes.txt': 'x', '05-a.conflist.tmp-1234': '{' })
  const r = cli(['install', ...n.common, '--append', 'tuning,bandwidth'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, `appended tuning, bandwidth to ${join(n.conf, '10-flannel.conflist')}`)
  t.same(types(join(n.conf, '10-flannel.conflist')), ['flannel', 'portmap', 'tuning', 'bandwidth'], "Flannel's own portmap stays, once")
  t.equal(readFileSync(join(n.conf, '20-other.conflist'), 'utf8'), flannel.replace('cbr0', 'other'), 'only the lexically first list is edited')
  t.same(readdirSync(n.bin).sort(), ['.cni-chain', ...NAMES].sort())
  for (const name of NAMES) {
    t.equal(statSync(join(n.bin, name)).mode & 0o777, 0o755)
    const run = spawnSync('env', ['-i', 'CNI_COMMAND=VERSION', join(n.bin, name)], { encoding: 'utf8', timeout: 30_000 })
    t.equal(run.status, 0, `${name}: ${run.stderr}`)
    t.same(JSON.parse(run.stdout), { plugin: name, command: 'VERSION', path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', module: 'function' },
      `${name} runs from the bin dir with an empty environment, as CommonJS, with a PATH for nft/ip/tc`)
  }
  const manifest = JSON.parse(readFileSync(join(n.bin, '.cni-chain', 'manifest.json'), 'utf8'))
  t.same(manifest.conflists, [{ path: join(n.conf, '10-flannel.conflist'), appended: [
    { type: 'tuning', config: '{"capabilities":{"mac":true},"type":"tuning"}' },
    { type: 'bandwidth', config: '{"capabilities":{"bandwidth":true},"type":"bandwidth"}' },
  ] }])

  t.equal(readFileSync(join(n.bin, '.cni-chain', '.code', 'version.cjs'), 'utf8'), '// the VERSION bundle\n', 'the shared VERSION bundle is placed too')
  const before = { bin: snapshot(n.bin), conf: snapshot(n.conf) }
  const again = cli(['install', ...n.common, '--append', 'tuning,bandwidth'])
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, 'nothing to change\n')
  t.same({ bin: snapshot(n.bin), conf: snapshot(n.conf) }, before, 'second run: every byte, mode and mtime the same')

  const un = cli(['uninstall', '--bin-dir', n.bin])
  t.equal(un.code, 0, un.stderr)
  t.equal(readFileSync(join(n.conf, '10-flannel.conflist'), 'utf8'), flannel, 'uninstall restores the list byte for byte')
  t.same(readdirSync(n.bin), [], 'and empties the bin dir')
  t.match(cli(['uninstall', '--bin-dir', n.bin]).stdout, 'nothing to remove')
})

t.test('a binary that was there is backed up and comes back on uninstall; plugins the primary CNI changed stay', async (t) => {
  const podman = readFileSync(join(UPSTREAM, 'podman.conflist'), 'utf8')
  const n = node(t, { '87-podman-bridge.conflist': podman })
  writeFileSync(join(n.bin, 'portmap'), '#!/bin/sh\necho reference portmap\n', { mode: 0o755 })
  writeFileSync(join(n.bin, 'bridge'), '#!/bin/sh\necho bridge\n', { mode: 0o755 })
  const r = cli(['install', ...n.common, '--append', 'bandwidth', '--plugin', '{"type":"tuning","mtu":1400}'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'kept the existing portmap binary')
  t.same(types(join(n.conf, '87-podman-bridge.conflist')), ['bridge', 'portmap', 'firewall', 'tuning', 'bandwidth'])
  t.same(JSON.parse(readFileSync(join(n.conf, '87-podman-bridge.conflist'), 'utf8')).plugins[3], { type: 'tuning' }, "podman's own tuning is left alone")
  t.equal(readFileSync(join(n.bin, '.cni-chain', 'backup', 'portmap'), 'utf8'), '#!/bin/sh\necho reference portmap\n')

  // the primary CNI edits our bandwidth entry: uninstall must not remove what it no longer recognizes
  const file = join(n.conf, '87-podman-bridge.conflist')
  writeFileSync(file, readFileSync(file, 'utf8').replace('"bandwidth": true', '"bandwidth": false'))
  const un = cli(['uninstall', '--bin-dir', n.bin])
  t.equal(un.code, 0, un.stderr)
  t.match(un.stdout, `left bandwidth in ${file}: its settings changed since install`)
  t.equal(readFileSync(join(n.bin, 'portmap'), 'utf8'), '#!/bin/sh\necho reference portmap\n', 'the previous portmap is back')
  t.same(readdirSync(n.bin).sort(), ['bridge', 'portmap'])
})

t.test('--network picks by name; without a conflist, install places binaries and says why it stops', async (t) => {
  const flannel = readFileSync(join(UPSTREAM, 'flannel.conflist'), 'utf8')
  const n = node(t, { '10-flannel.conflist': flannel, '87-podman-bridge.conflist': readFileSync(join(UPSTREAM, 'podman.conflist'), 'utf8') })
  const r = cli(['install', ...n.common, '--network', 'podman', '--append', 'bandwidth'])
  t.equal(r.code, 0, r.stderr)
  t.equal(readFileSync(join(n.conf, '10-flannel.conflist'), 'utf8'), flannel)
  t.same(types(join(n.conf, '87-podman-bridge.conflist')).at(-1), 'bandwidth')

  const empty = node(t)
  const none = cli(['install', ...empty.common, '--append', 'bandwidth'])
  t.equal(none.code, 1)
  t.match(none.stderr, `no network configuration (.conf, .conflist, .json) in ${empty.conf} yet`)
  t.ok(statSync(join(empty.bin, '.cni-chain', 'manifest.json')).isFile(), 'the binaries placed are recorded all the same')
  t.equal(cli(['uninstall', '--bin-dir', empty.bin]).code, 0)
  t.same(readdirSync(empty.bin), [])
})

t.test('--bundle-node: the launchers run the copy of Node in the bin dir; --host-bin-dir names the node-side path', async (t) => {
  const n = node(t)
  const r = cli(['install', ...n.common, '--bundle-node'])
  t.equal(r.code, 0, r.stderr)
  const copy = join(n.bin, '.cni-chain', 'node')
  t.ok(readFileSync(copy).equals(readFileSync(process.execPath)), 'a byte-for-byte copy of the running Node')
  t.equal(statSync(copy).mode & 0o777, 0o755)
  t.match(readFileSync(join(n.bin, 'portmap'), 'utf8'), `exec '${copy}' '${join(n.bin, '.cni-chain', 'portmap.cjs')}' "$@"`)
  const run = spawnSync('env', ['-i', 'CNI_COMMAND=VERSION', join(n.bin, 'portmap')], { encoding: 'utf8', timeout: 30_000 })
  t.equal(JSON.parse(run.stdout).plugin, 'portmap', run.stderr)
  const before = snapshot(n.bin)
  t.equal(cli(['install', ...n.common, '--bundle-node']).stdout, 'nothing to change\n')
  t.same(snapshot(n.bin), before, 'the copy is compared, not rewritten')

  const other = node(t)
  t.equal(cli(['install', ...other.common, '--host-bin-dir', '/opt/cni/bin']).code, 0)
  t.equal(readFileSync(join(other.bin, 'tuning'), 'utf8').split('\n').at(-2), "exec '/opt/cni/bin/.cni-chain/node' '/opt/cni/bin/.cni-chain/tuning.cjs' \"$@\"",
    'from a container: the host path, and Node copied (implied)')
  t.ok(statSync(join(other.bin, '.cni-chain', 'node')).isFile())
})

t.test('inputs are checked before anything is written', async (t) => {
  const n = node(t, { '10-flannel.conflist': readFileSync(join(UPSTREAM, 'flannel.conflist'), 'utf8') })
  const cases: [string[], RegExp][] = [
    [['install', '--bin-dir', '', '--conf-dir', n.conf], /--bin-dir: a path is required/],
    [['install', '--bin-dir', n.bin, '--conf-dir', ''], /--conf-dir: a path is required/],
    [[...['install', ...n.common], '--network', 'a/b'], /--network: invalid network name/],
    [[...['install', ...n.common], '--append', 'tuning,flannel'], /--append: unknown type "flannel"/],
    [[...['install', ...n.common], '--plugin', '{"type":'], /--plugin: not JSON/],
    [[...['install', ...n.common], '--append', 'tuning', '--plugin', '{"type":"tuning"}'], /given twice/],
    [[...['install', ...n.common], '--binaries', 'portmap,bridge'], /--binaries: "bridge" is not a cni-chain plugin/],
    [['install', '--bin-dir', n.bin, '--conf-dir', n.conf, '--source-dir', n.conf], /no built tuning plugin there/],
    [['install', ...n.common, '--host-bin-dir', "/opt/it's"], /contains a quote/],
    [['uninstall', '--bin-dir', ''], /--bin-dir: a path is required/],
  ]
  for (const [args, re] of cases) {
    const r = cli(args)
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, re, args.join(' '))
  }
  t.same(readdirSync(n.bin), [], 'nothing placed')
  const cbroken = node(t, { '10-calico.conflist': readFileSync(join(UPSTREAM, 'calico.conflist.template'), 'utf8') })
  const broken = cli(['install', ...cbroken.common, '--append', 'bandwidth'])
  t.equal(broken.code, 1)
  t.match(broken.stderr, 'not JSON')
  t.equal(readFileSync(join(cbroken.conf, '10-calico.conflist'), 'utf8'), readFileSync(join(UPSTREAM, 'calico.conflist.template'), 'utf8'))
})

t.test('--watch re-appends after the primary CNI rewrites its conflist (cp, then a rename)', async (t) => {
  const flannel = readFileSync(join(UPSTREAM, 'flannel.conflist'), 'utf8')
  const n = node(t)
  const child = spawn(process.execPath, [BUNDLE, 'install', ...n.common, '--append', 'tuning,bandwidth', '--watch', '--interval', '3600'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  t.teardown(() => void child.kill('SIGKILL'))
  const file = join(n.conf, '10-flannel.conflist')
  const waitFor = async (what: string, ok: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if (ok()) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    t.comment(`${what}: gave up; output so far:\n${output}`)
    return false
  }
  const appended = () => {
    try {
      return types(file).join(',') === 'flannel,portmap,tuning,bandwidth'
    } catch {
      return false
    }
  }
  t.ok(await waitFor('watching', () => output.includes('watching')), 'the watcher starts without a conflist')
  // Flannel's init container: cp -f (truncate and write in place)
  writeFileSync(file, flannel)
  t.ok(await waitFor('first append', appended), 'a conflist appearing is appended to')
  writeFileSync(file, flannel)
  t.ok(await waitFor('re-append after cp', appended), 're-appended after a rewrite in place')
  // an installer that writes a temp file and renames it (kindnetd, Calico)
  writeFileSync(`${file}.temp`, flannel)
  copyFileSync(`${file}.temp`, `${file}.temp2`)
  rmSync(`${file}.temp`)
  const { renameSync } = await import('node:fs')
  renameSync(`${file}.temp2`, file)
  t.ok(await waitFor('re-append after rename', appended), 're-appended after a rename over the file')
  // our own launcher overwritten by another installer's portmap
  writeFileSync(join(n.bin, 'portmap'), '#!/bin/sh\necho theirs\n')
  t.ok(await waitFor('launcher back', () => readFileSync(join(n.bin, 'portmap'), 'utf8').includes('cni-chain launcher')), 'our portmap is put back')
  child.kill('SIGTERM')
  const code = await new Promise<number | null>((r) => child.on('exit', r))
  t.equal(code, 0, 'SIGTERM ends the watcher cleanly')
})
