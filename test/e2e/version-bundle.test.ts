// The built plugin binaries answer VERSION from bin/.code/version.cjs (the stub's short way,
// src/skel/version-main.ts) exactly as their own bundle does, for good and bad input alike; every
// plugin supports the versions that small bundle announces. Needs `npm run build` (the e2e tier's setup).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chainPlugin } from '../../chain/plugin/chain-plugin.js'
import { bandwidthPlugin } from '../../meta-plugins/bandwidth/plugin.js'
import { firewallPlugin } from '../../meta-plugins/firewall/plugin.js'
import { portmapPlugin } from '../../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../../meta-plugins/tuning/plugin.js'
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'

const BIN = resolve(import.meta.dirname, '../../bin')
const PLUGINS = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain']

const env = (extra: Record<string, string>): Record<string, string> => {
  const out: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
  return { ...out, ...extra }
}
const run = (file: string[], extra: Record<string, string>, input: string) => {
  const r = spawnSync(file[0] as string, file.slice(1), { input, encoding: 'utf8', env: env(extra), timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('every plugin supports what the VERSION bundle announces', async (t) => {
  for (const p of [tuningPlugin, portmapPlugin, bandwidthPlugin, firewallPlugin, chainPlugin]) t.same(p.versions, SUPPORTED_VERSIONS, p.type)
})

t.test('the stub\'s VERSION answer is the bundle\'s own', async (t) => {
  t.ok(existsSync(join(BIN, '.code', 'version.cjs')), 'built')
  const cases: [string, Record<string, string>, string][] = [
    ['a config', { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}'],
    ['no stdin', { CNI_COMMAND: 'VERSION' }, ''],
    ['garbage stdin', { CNI_COMMAND: 'VERSION' }, '{nope'],
    ['a bad CNI_IFNAME too', { CNI_COMMAND: 'VERSION', CNI_IFNAME: 'x'.repeat(40), CNI_CONTAINERID: 'a/b' }, '{}'],
  ]
  for (const name of PLUGINS) {
    for (const [what, extra, input] of cases) {
      const viaStub = run([join(BIN, name)], extra, input)
      const own = run([process.execPath, join(BIN, '.code', `${name}.cjs`)], extra, input)
      t.same(viaStub, own, `${name}, ${what}`)
    }
  }
  // the CLI never takes the short way
  const cli = run([join(BIN, 'cni-chain'), '--help'], { CNI_COMMAND: 'VERSION' }, '')
  t.equal(cli.status, 0)
  t.match(cli.stdout, /^cni-chain <command>/, 'the CLI prints its own help')
})

t.test('the stub takes the short way only for VERSION (a marked copy of version.cjs shows it)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cc-version-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, '.code'))
  for (const f of ['tuning', 'package.json', '.code/tuning.cjs', '.code/tuning.cache']) copyFileSync(join(BIN, f), join(dir, f))
  writeFileSync(join(dir, '.code', 'version.cjs'), "process.stdout.write('short way')\n")
  t.equal(run([join(dir, 'tuning')], { CNI_COMMAND: 'VERSION' }, '{}').stdout, 'short way')
  t.match(run([join(dir, 'tuning')], { CNI_COMMAND: 'ADD' }, '{}').stdout, /"code":/, 'ADD: the plugin itself (a CNI error here)')
  rmSync(join(dir, '.code', 'version.cjs'))
  t.match(run([join(dir, 'tuning')], { CNI_COMMAND: 'VERSION' }, '{}').stdout, /"supportedVersions"/, 'without version.cjs: the plugin\'s own answer')
  // a broken install (the bundle gone) still answers with a CNI error, not a stack trace
  rmSync(join(dir, '.code', 'tuning.cjs'))
  const broken = run([join(dir, 'tuning')], { CNI_COMMAND: 'ADD' }, '{}')
  t.equal(broken.status, 1, 'exit 1')
  t.match(JSON.parse(broken.stdout), { code: 999, msg: 'cni-chain tuning: broken installation', details: /tuning\.cjs: ENOENT/ })
  t.notMatch(broken.stderr, /\n\s+at /, 'no stack trace')
  writeFileSync(join(dir, '.code', 'tuning.cjs'), 'const cut = {') // a copy cut short
  const cut = run([join(dir, 'tuning')], { CNI_COMMAND: 'ADD' }, '{}')
  t.match([cut.status, JSON.parse(cut.stdout)], [1, { code: 999, details: /tuning\.cjs: Unexpected token/ }], 'a bundle cut short: the same error')
})
