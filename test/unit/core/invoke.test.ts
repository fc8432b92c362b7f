import { chmod, mkdir, symlink } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import t from 'tap'
import { CniError } from '../../../src/cni/errors.js'
import { execPlugin, findPlugin, pluginEnv } from '../../../src/invoke/exec-plugin.js'
import { decodePluginOutput } from '../../../src/invoke/decode-output.js'

const FIXTURES = fileURLToPath(new URL('../../../fixtures/plugins', import.meta.url))
const fx = (name: string): string => join(FIXTURES, name)
// NODE_EXTRA_CA_CERTS triples node's start-up and tap's NODE_OPTIONS loaders add more: the fixtures need neither
const opts = { baseEnv: { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: undefined }, onStderr: () => {} }
const ENV = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: FIXTURES }

t.test('findPlugin: first regular file in path order, symlinks followed', async (t) => {
  const dir = t.testdir({ a: { x: 'not a dir' }, b: { x: 'second', sub: {} }, c: {} })
  await mkdir(join(dir, 'a-dir', 'x'), { recursive: true })
  await symlink(join(dir, 'b', 'x'), join(dir, 'c', 'link'))
  t.equal(await findPlugin('x', [join(dir, 'a'), join(dir, 'b')]), join(dir, 'a', 'x'))
  t.equal(await findPlugin('x', [join(dir, 'a-dir'), '', join(dir, 'b')]), join(dir, 'b', 'x'), 'a directory is skipped')
  t.equal(await findPlugin('link', [join(dir, 'c')]), join(dir, 'c', 'link'))
  t.equal(await findPlugin('ok-result', [FIXTURES]), fx('ok-result'))
})

t.test('findPlugin errors', async (t) => {
  const dir = t.testdir({ d: {} })
  await t.rejects(findPlugin('nope', [join(dir, 'd'), '/nonexistent']), { code: 999, message: `failed to find plugin "nope" in path [${join(dir, 'd')} /nonexistent]` })
  await t.rejects(findPlugin('', ['/bin']), { code: 7, message: 'no plugin name provided' })
  for (const bad of ['../bin/sh', '/bin/sh', 'a\\b', '..']) {
    await t.rejects(findPlugin(bad, ['/usr']), { code: 7, message: /invalid plugin name/ }, bad)
  }
  await t.rejects(findPlugin('sh', []), { code: 999, message: /in path \[\]/ })
})

t.test('pluginEnv: process env + baseEnv, then all six CNI_* (empty when absent)', async (t) => {
  const env = pluginEnv({ CNI_COMMAND: 'GC', CNI_PATH: '/p' }, { EXTRA: '1', HOME: undefined, CNI_NETNS: 'from-base' })
  t.equal(env.EXTRA, '1')
  t.notOk('HOME' in env, 'undefined removes a variable')
  t.equal(env.PATH, process.env.PATH)
  t.strictSame([env.CNI_COMMAND, env.CNI_CONTAINERID, env.CNI_NETNS, env.CNI_IFNAME, env.CNI_ARGS, env.CNI_PATH], ['GC', '', '', '', '', '/p'])
})

t.test('success: the result JSON; stdin is the conf; env has all CNI_* vars; stderr goes to onStderr', async (t) => {
  let stderr = ''
  const r = await execPlugin(fx('ok-result'), { cniVersion: '1.0.0', name: 'n', type: 'ok-result' }, ENV, { ...opts, onStderr: (s) => { stderr += s } })
  t.strictSame(r, {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/p' }],
    ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
  })
  t.equal(stderr, 'ok-result: ADD\n')
  const echo = await execPlugin(fx('echo-input'), { cniVersion: '1.1.0', name: 'n', nested: { a: [1] } },
    { CNI_COMMAND: 'DEL', CNI_PATH: '/x' }, { ...opts, baseEnv: { ...opts.baseEnv, FIXTURE_MARK: 'm', CNI_ARGS: 'overridden' } })
  t.strictSame(echo, {
    cniVersion: '1.1.0',
    env: { CNI_COMMAND: 'DEL', CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_ARGS: '', CNI_PATH: '/x', FIXTURE_MARK: 'm' },
    stdin: { cniVersion: '1.1.0', name: 'n', nested: { a: [1] } },
  })
})

t.test('empty stdout is undefined; a literal null is {}', async (t) => {
  t.equal(await execPlugin(fx('empty-stdout'), {}, ENV, opts), undefined)
  t.strictSame(await execPlugin(fx('null-stdout'), {}, ENV, opts), {})
})

t.test('failures decode like libcni pluginErr', async (t) => {
  await t.rejects(execPlugin(fx('error-json'), { errorCode: 11 }, ENV, opts), { name: 'CniError', code: 11, msg: 'fixture error', details: 'asked to fail' })
  await t.rejects(execPlugin(fx('stderr-only'), {}, ENV, opts), { code: 999, msg: 'netplugin failed: "something broke"', details: 'exit status 2' })
  await t.rejects(execPlugin(fx('silent-fail'), {}, ENV, opts), { code: 999, msg: 'netplugin failed with no error message', details: 'exit status 1' })
  await t.rejects(execPlugin(fx('garbage-stdout'), {}, ENV, opts),
    { code: 999, msg: 'netplugin failed but error parsing its diagnostic message "panic: this is not json"' })
})

t.test('timeout kills the plugin and reports it', async (t) => {
  const start = Date.now()
  await t.rejects(execPlugin(fx('sleep'), {}, ENV, { ...opts, timeoutMs: 300 }), { code: 999, msg: /timed out after 300 ms/ })
  t.ok(Date.now() - start < 5000, 'returned well before the plugin would have finished')
})

t.test('a file that cannot be executed is code 999', async (t) => {
  const dir = t.testdir({ 'not-exec': '#!/bin/sh\necho hi\n' })
  await t.rejects(execPlugin('/nonexistent/plugin', {}, ENV, opts), { code: 999, msg: 'failed to execute plugin "/nonexistent/plugin"', details: 'ENOENT' })
  const noExec = join(dir, 'not-exec')
  await chmod(noExec, 0o644)
  const e = await execPlugin(noExec, {}, ENV, opts).catch((err: unknown) => err)
  t.ok(e instanceof CniError && e.code === 999, 'no exec bit')
})

t.test('decodePluginOutput edge cases', async (t) => {
  const ok = (stdout: string) => decodePluginOutput({ exitCode: 0, stdout, stderr: '' })
  t.equal(ok('  \n'), undefined)
  t.throws(() => ok('[1]'), { code: 6, details: /not a JSON object/ })
  t.throws(() => ok('{"cniVersion":'), { code: 6 })
  const fail = (stdout: string, stderr = '') => decodePluginOutput({ exitCode: 1, stdout, stderr })
  t.throws(() => fail('{"msg":"only msg"}'), { code: 0, msg: 'only msg' }, 'Go decodes a missing code as 0')
  t.throws(() => fail('{"code":"7","msg":"x"}'), { code: 999, msg: /error parsing its diagnostic message/ }, 'a string code is unreadable')
  t.throws(() => fail('{"code":7,"msg":"x","details":""}'), { code: 7, details: undefined })
  t.throws(() => decodePluginOutput({ exitCode: undefined, signal: 'SIGKILL', stdout: '', stderr: '' }), { code: 999, details: 'killed by SIGKILL' })
  t.throws(() => fail('', 'multi\nline\n'), { code: 999, msg: 'netplugin failed: "multi\\nline"' })
})

t.test('plugin output nested 100,000 deep is code 6 (decoding), not a stack overflow later', async (t) => {
  const deep = '{"cniVersion":"1.1.0","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'
  t.throws(() => decodePluginOutput({ exitCode: 0, stdout: deep, stderr: '' }), { code: 6, msg: 'failed to decode plugin output', details: /nested deeper than 256 levels/ })
  t.throws(() => decodePluginOutput({ exitCode: 1, stdout: deep, stderr: '' }), { code: 999, msg: /error parsing its diagnostic message/ })
})
