// The executor's verbs against real (tiny) plugin processes: order, prevResult threading and
// version conversion, capability filtering, error handling, the libcni cache, GC, STATUS, VERSION.
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { addList, checkList, delList, gcList, pluginVersion, statusList } from '../../../chain/executor.js'
import { cachePath } from '../../../src/cni/cache.js'
import { CniError } from '../../../src/cni/errors.js'
import { deps, readLog, recorderList, runtime } from './fixtures/helpers.js'

t.test('ADD runs in order, threads prevResult and caches the final result (libcni format)', async (t) => {
  const dir = t.testdir()
  const list = recorderList(dir, [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }])
  const rt = runtime(dir, { capabilityArgs: { portMappings: [] } })
  const result = await addList(list, rt, deps())
  t.same((result.interfaces as { name: string }[]).map((i) => i.name), ['a', 'b', 'c'])
  const log = readLog(dir)
  t.same(log.map((l) => `${l.command}:${l.stdin.tag}`), ['ADD:a', 'ADD:b', 'ADD:c'])
  t.equal(log[0]?.stdin.prevResult, undefined, 'first plugin has no prevResult')
  t.same((log[1]?.stdin.prevResult as { interfaces: unknown[] }).interfaces, [{ name: 'a' }])
  t.same((log[2]?.stdin.prevResult as { interfaces: unknown[] }).interfaces, [{ name: 'a' }, { name: 'b' }])
  for (const l of log) {
    t.equal(l.stdin.name, 'net1')
    t.equal(l.stdin.cniVersion, '1.1.0')
    t.same([l.env.CNI_CONTAINERID, l.env.CNI_NETNS, l.env.CNI_IFNAME, l.env.CNI_ARGS], ['ctr1', '/run/netns/pod1', 'eth0', 'IgnoreUnknown=1;K8S_POD_NAME=web'])
  }
  const file = cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0')
  t.equal(file, join(rt.cacheDir, 'results', 'net1-ctr1-eth0'))
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.equal(statSync(join(rt.cacheDir, 'results')).mode & 0o777, 0o700)
  const cached = JSON.parse(readFileSync(file, 'utf8'))
  t.same(cached, {
    kind: 'cniCacheV1',
    containerId: 'ctr1',
    config: readFileSync(list.path as string).toString('base64'),
    ifName: 'eth0',
    networkName: 'net1',
    netns: '/run/netns/pod1',
    cniArgs: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'web']],
    capabilityArgs: { portMappings: [] },
    result,
  })
})

t.test('intermediate results are converted to the list version before the next plugin', async (t) => {
  const dir = t.testdir()
  const list = recorderList(dir, [{ tag: 'a', resultVersion: '0.4.0' }, { tag: 'b' }], { cniVersion: '1.0.0' })
  const result = await addList(list, runtime(dir), deps())
  const prev = readLog(dir)[1]?.stdin.prevResult as { cniVersion: string; ips: object[] }
  t.equal(prev.cniVersion, '1.0.0')
  t.same(prev.ips, [{ address: '10.9.0.2/24', gateway: '10.9.0.1', interface: 0 }], 'no ips[].version in 1.0.0')
  t.equal(result.cniVersion, '1.0.0')
})

t.test('runtimeConfig carries only the capabilities a plugin declares true and the runtime gave', async (t) => {
  const dir = t.testdir()
  const list = recorderList(dir, [
    { tag: 'a', capabilities: { portMappings: true, bandwidth: false, mac: true } },
    { tag: 'b' },
    { tag: 'c', capabilities: { ipRanges: true } },
  ])
  const pm = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]
  await addList(list, runtime(dir, { capabilityArgs: { portMappings: pm, bandwidth: { ingressRate: 1 } } }), deps())
  const [a, b, c] = readLog(dir)
  t.same(a?.stdin.runtimeConfig, { portMappings: pm })
  t.equal(a?.stdin.capabilities, undefined, 'capabilities is not passed on')
  t.equal(b?.stdin.runtimeConfig, undefined)
  t.equal(c?.stdin.runtimeConfig, undefined, 'declared but not supplied')
})

t.test('ADD stops at the first error, names the plugin, keeps the code, writes no cache', async (t) => {
  const dir = t.testdir()
  const list = recorderList(dir, [{ tag: 'a' }, { tag: 'b', fail: { ADD: 7 } }, { tag: 'c' }])
  const rt = runtime(dir)
  const err = await addList(list, rt, deps()).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CniError)
  t.equal((err as CniError).code, 7)
  t.equal((err as CniError).msg, 'plugin type="recorder" name="net1" failed (add): recorder b failed')
  t.same(readLog(dir).map((l) => l.stdin.tag), ['a', 'b'])
  t.notOk(existsSync(cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0')))
})

t.test('ADD rejects a bad container id or ifname before running anything', async (t) => {
  const dir = t.testdir()
  const list = recorderList(dir, [{ tag: 'a' }])
  await t.rejects(addList(list, runtime(dir, { containerId: '' }), deps()), { code: 3 })
  await t.rejects(addList(list, runtime(dir, { containerId: '-x' }), deps()), { code: 4 })
  await t.rejects(addList(list, runtime(dir, { ifname: 'a/b' }), deps()), { code: 4 })
  t.same(readLog(dir), [])
})

t.test('DEL runs in reverse with the cached final result; the first failure halts it and keeps the cache (spec, libcni)', async (t) => {
  const dir = t.testdir()
  const entries = [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }]
  const rt = runtime(dir)
  const final = await addList(recorderList(dir, entries), rt, deps())
  writeFileSync(join(dir, 'log'), '')
  const failing = recorderList(dir, [{ tag: 'a', fail: { DEL: 11 } }, { tag: 'b', fail: { DEL: 5 } }, { tag: 'c' }])
  const err = await delList(failing, rt, deps()).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CniError)
  t.equal((err as CniError).code, 5, 'the failing plugin\'s code')
  t.equal((err as CniError).msg, 'plugin type="recorder" name="net1" failed (delete): recorder b failed')
  const log = readLog(dir)
  t.same(log.map((l) => l.stdin.tag), ['c', 'b'], 'halted at b: a (before it in the list) is not called')
  for (const l of log) t.same(l.stdin.prevResult, final, 'every plugin gets the final result')
  t.ok(existsSync(cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0')), 'cache kept for a retry')
  writeFileSync(join(dir, 'log'), '')
  await delList(recorderList(dir, entries), rt, deps())
  t.same(readLog(dir).map((l) => l.stdin.prevResult), [final, final, final], 'the retry still has the cached result')
  t.notOk(existsSync(cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0')), 'cache removed once all passed')
  writeFileSync(join(dir, 'log'), '')
  await delList(recorderList(dir, entries), rt, deps())
  t.same(readLog(dir).map((l) => l.stdin.prevResult), [undefined, undefined, undefined], 'DEL without cache: no prevResult')
})

t.test('a corrupt cache file is removed and DEL goes on without prevResult', async (t) => {
  const dir = t.testdir()
  const rt = runtime(dir)
  const file = cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0')
  mkdirSync(join(rt.cacheDir, 'results'), { recursive: true })
  writeFileSync(file, '')
  const list = recorderList(dir, [{ tag: 'a' }])
  await delList(list, rt, deps())
  t.same(readLog(dir).map((l) => l.stdin.prevResult), [undefined])
  t.notOk(existsSync(file))
  writeFileSync(file, '{"kind":"cniCacheV1","containerId":')
  await t.rejects(checkList(list, rt, deps()), { code: 6 }, 'CHECK does not guess')
})

t.test('a legacy bare-result cache file is read', async (t) => {
  const dir = t.testdir()
  const rt = runtime(dir)
  mkdirSync(join(rt.cacheDir, 'results'), { recursive: true })
  writeFileSync(cachePath(rt.cacheDir, 'net1', 'ctr1', 'eth0'), JSON.stringify({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/16' }] }))
  await delList(recorderList(dir, [{ tag: 'a' }]), rt, deps())
  t.same(readLog(dir)[0]?.stdin.prevResult, { cniVersion: '1.1.0', ips: [{ address: '10.1.0.5/16' }] })
})

t.test('CHECK: from the cache in ADD order; version gate before disableCheck', async (t) => {
  const dir = t.testdir()
  const rt = runtime(dir)
  const final = await addList(recorderList(dir, [{ tag: 'a' }, { tag: 'b' }]), rt, deps())
  writeFileSync(join(dir, 'log'), '')
  await checkList(recorderList(dir, [{ tag: 'a' }, { tag: 'b' }]), rt, deps())
  t.same(readLog(dir).map((l) => `${l.command}:${l.stdin.tag}`), ['CHECK:a', 'CHECK:b'])
  t.same(readLog(dir)[1]?.stdin.prevResult, final)
  writeFileSync(join(dir, 'log'), '')
  await checkList(recorderList(dir, [{ tag: 'a' }], { disableCheck: 'True' }), rt, deps())
  t.same(readLog(dir), [], 'disableCheck as a string')
  await t.rejects(checkList(recorderList(dir, [{ tag: 'a' }], { cniVersion: '0.3.1', disableCheck: true }), rt, deps()), { code: 1 })
  await t.rejects(checkList(recorderList(dir, [{ tag: 'a', fail: { CHECK: 100 } }, { tag: 'b' }]), rt, deps()),
    { code: 100, msg: 'plugin type="recorder" name="net1" failed (check): recorder a failed' })
  await t.rejects(checkList(recorderList(dir, [{ tag: 'a' }]), runtime(dir, { containerId: 'other' }), deps()), { code: 3 }, 'nothing cached')
})

t.test('GC: DEL stale cached attachments (args from the cache), then GC every plugin', async (t) => {
  const dir = t.testdir()
  const entries = [{ tag: 'a' }, { tag: 'b' }]
  await addList(recorderList(dir, entries), runtime(dir, { containerId: 'keep' }), deps())
  await addList(recorderList(dir, entries), runtime(dir, { containerId: 'stale', netns: '/run/netns/gone', args: [['X', '1']], capabilityArgs: { mac: 'x' } }), deps())
  await addList(recorderList(dir, entries, { name: 'net2' }), runtime(dir, { containerId: 'other' }), deps())
  writeFileSync(join(dir, 'log'), '')
  const gc = { validAttachments: [{ containerID: 'keep', ifname: 'eth0' }], cacheDir: join(dir, 'cache'), pluginDirs: runtime(dir).pluginDirs }
  await gcList(recorderList(dir, entries), gc, deps())
  const log = readLog(dir)
  t.same(log.map((l) => `${l.command}:${l.stdin.tag}:${l.env.CNI_CONTAINERID}`), ['DEL:b:stale', 'DEL:a:stale', 'GC:a:', 'GC:b:'])
  t.same([log[0]?.env.CNI_NETNS, log[0]?.env.CNI_ARGS], ['/run/netns/gone', 'X=1'])
  t.same(log[2]?.stdin['cni.dev/valid-attachments'], [{ containerID: 'keep', ifname: 'eth0' }])
  t.same(log[2]?.stdin['cni.dev/attachments'], [{ containerID: 'keep', ifname: 'eth0' }])
  t.notOk(existsSync(cachePath(gc.cacheDir, 'net1', 'stale', 'eth0')))
  t.ok(existsSync(cachePath(gc.cacheDir, 'net1', 'keep', 'eth0')))
  t.ok(existsSync(cachePath(gc.cacheDir, 'net2', 'other', 'eth0')), 'other networks untouched')

  writeFileSync(join(dir, 'log'), '')
  await gcList(recorderList(dir, entries, { disableGC: 'true' }), { ...gc, validAttachments: [] }, deps())
  t.same(readLog(dir), [], 'disableGC')
  await gcList(recorderList(dir, entries, { cniVersion: '1.0.0' }), { ...gc, validAttachments: [] }, deps())
  t.same(readLog(dir).map((l) => `${l.command}:${l.stdin.tag}`), ['DEL:b', 'DEL:a'], 'before 1.1.0: no plugin GC')

  writeFileSync(join(dir, 'log'), '')
  await t.rejects(gcList(recorderList(dir, [{ tag: 'a', fail: { GC: 101 } }, { tag: 'b', fail: { GC: 102 } }]), gc, deps()), { code: 101 })
  t.same(readLog(dir).map((l) => l.stdin.tag), ['a', 'b'], 'GC goes on past errors')
})

t.test('STATUS over the plugins (1.1.0), ready before 1.1.0', async (t) => {
  const dir = t.testdir()
  await statusList(recorderList(dir, [{ tag: 'a' }, { tag: 'b' }]), runtime(dir).pluginDirs, deps())
  t.same(readLog(dir).map((l) => `${l.command}:${l.stdin.tag}`), ['STATUS:a', 'STATUS:b'])
  await t.rejects(statusList(recorderList(dir, [{ tag: 'a', fail: { STATUS: 50 } }]), runtime(dir).pluginDirs, deps()), { code: 50 })
  writeFileSync(join(dir, 'log'), '')
  await statusList(recorderList(dir, [{ tag: 'a', fail: { STATUS: 50 } }], { cniVersion: '1.0.0' }), runtime(dir).pluginDirs, deps())
  t.same(readLog(dir), [])
})

t.test('VERSION of a plugin; a missing plugin is an error', async (t) => {
  const dir = t.testdir()
  t.same(await pluginVersion('recorder', runtime(dir).pluginDirs, deps()), { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] })
  await t.rejects(pluginVersion('nope', runtime(dir).pluginDirs, deps()))
})
