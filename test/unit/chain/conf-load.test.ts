// Loading lists as libcni does: dir lookup order, .conf wrapping, sibling-dir plugins, flags as
// strings, cniVersions selection, and the errors for bad files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadNetwork, parseConfList, selectVersion } from '../../../chain/conf-load.js'

const write = (path: string, v: unknown) => writeFileSync(path, typeof v === 'string' ? v : JSON.stringify(v))

t.test('cniVersions picks the highest version cni-chain implements', async (t) => {
  t.equal(selectVersion('0.4.0', undefined), '0.4.0')
  t.equal(selectVersion('0.4.0', ['1.0.0', '1.1.0', '0.3.1']), '1.1.0')
  t.equal(selectVersion('1.0.0', ['0.4.0', '9.9.9']), '1.0.0', 'too new entries ignored')
  t.equal(selectVersion('', ['1.0.0']), '1.0.0')
  t.throws(() => selectVersion('1.0.0', 'x'), { code: 7 })
  t.throws(() => selectVersion('1.0.0', ['one']), { code: 7 })
})

t.test('flags: booleans or "true"/"false" strings, anything else is code 7', async (t) => {
  const parse = (o: object) => parseConfList(Buffer.from(JSON.stringify({ name: 'n', cniVersion: '1.1.0', plugins: [{ type: 'x' }], ...o })), 'test')
  const l = parse({ disableCheck: 'TRUE', disableGC: 'false', loadOnlyInlinedPlugins: true })
  t.same([l.disableCheck, l.disableGC, l.loadOnlyInlinedPlugins], [true, false, true])
  t.throws(() => parse({ disableCheck: 'yes' }), { code: 7 })
  t.throws(() => parse({ disableGC: 1 }), { code: 7 })
})

t.test('structural errors', async (t) => {
  const p = (s: string) => () => parseConfList(Buffer.from(s), 'f')
  t.throws(p('{'), { code: 6 })
  t.throws(p('[]'), { code: 6 })
  t.throws(p('{"cniVersion":"1.0.0","plugins":[{"type":"x"}]}'), { code: 7 }, 'no name')
  t.throws(p('{"name":"a b","plugins":[{"type":"x"}]}'), { code: 7 }, 'bad name')
  t.throws(p('{"name":"n","cniVersion":1,"plugins":[{"type":"x"}]}'), { code: 7 })
  t.throws(p('{"name":"n","plugins":[]}'), { code: 7 }, 'no plugins in list')
  t.throws(p('{"name":"n","plugins":[{"x":1}]}'), { code: 7 }, "missing 'type'")
  t.throws(p('{"name":"n","plugins":[{"type":"../bin/x"}]}'), { code: 7 })
  t.throws(p('{"name":"n","loadOnlyInlinedPlugins":true}'), { code: 7 })
})

t.test('conf dir: .conflist first (sorted), then .conf/.json wrapped into a list', async (t) => {
  const dir = t.testdir()
  write(join(dir, '10-a.conflist'), { cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'p1' }] })
  write(join(dir, '20-a.conflist'), { cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'p2' }] })
  write(join(dir, '05-b.conf'), { cniVersion: '0.4.0', name: 'b', type: 'bridge', bridge: 'br0' })
  write(join(dir, '06-c.json'), { cniVersion: '1.0.0', name: 'c', type: 'ptp' })
  const a = await loadNetwork('a', dir)
  t.equal(a.path, join(dir, '10-a.conflist'))
  t.same(a.plugins, [{ type: 'p1' }])
  const b = await loadNetwork('b', dir)
  t.same([b.name, b.cniVersion, b.plugins], ['b', '0.4.0', [{ cniVersion: '0.4.0', name: 'b', type: 'bridge', bridge: 'br0' }]])
  t.same(JSON.parse(b.bytes.toString()), { cniVersion: '0.4.0', name: 'b', plugins: [{ cniVersion: '0.4.0', name: 'b', type: 'bridge', bridge: 'br0' }] }, 'cached bytes are the wrapped list')
  t.equal((await loadNetwork('c', dir)).plugins[0]?.type, 'ptp')
  t.equal((await loadNetwork(join(dir, '20-a.conflist'), dir)).plugins[0]?.type, 'p2', 'a path is loaded directly')
  await t.rejects(loadNetwork('nope', dir), { code: 7 })
})

t.test('sibling dir plugins are appended unless loadOnlyInlinedPlugins', async (t) => {
  const dir = t.testdir()
  mkdirSync(join(dir, 'net'))
  write(join(dir, 'net', '20-second.conf'), { type: 's2' })
  write(join(dir, 'net', '10-first.conf'), { type: 's1' })
  write(join(dir, 'net', 'ignored.json'), { type: 'no' })
  write(join(dir, 'net.conflist'), { cniVersion: '1.1.0', name: 'net', plugins: [{ type: 'inline' }] })
  t.same((await loadNetwork('net', dir)).plugins.map((p) => p.type), ['inline', 's1', 's2'])
  write(join(dir, 'net.conflist'), { cniVersion: '1.1.0', name: 'net' })
  t.same((await loadNetwork('net', dir)).plugins.map((p) => p.type), ['s1', 's2'], 'plugins may come only from the dir')
  write(join(dir, 'net.conflist'), { cniVersion: '1.1.0', name: 'net', loadOnlyInlinedPlugins: 'true', plugins: [{ type: 'inline' }] })
  t.same((await loadNetwork('net', dir)).plugins.map((p) => p.type), ['inline'])
  write(join(dir, 'net', '30-bad.conf'), { notype: 1 })
  write(join(dir, 'net.conflist'), { cniVersion: '1.1.0', name: 'net', plugins: [{ type: 'inline' }] })
  await t.rejects(loadNetwork('net', dir), { code: 7 })
})
