// The libcni result cache refuses any name that would leave `<cacheDir>/results/` (issue 8, item 1)
// and an empty cache dir (item 7), on every operation, before touching a file; a corrupt file's
// bytes never reach an error message.
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  MAX_WRITABLE_NAME, cachePath, checkCacheDir, checkCacheWritable, listCachedAttachments, readCache, removeCache, writeCache, type CacheEntry,
} from '../../../src/cni/cache.js'
import { createFakeHost } from '../../../src/host/fake.js'
import { createRealHost } from '../../../src/host/real.js'

const files = createRealHost().files

const entry = (over: Partial<CacheEntry> = {}): CacheEntry => ({
  networkName: 'net1', containerId: 'c1', ifName: 'eth0', config: Buffer.from('{}'), ...over,
})

// a cache dir and a victim file next to it, as `--ifname /../../../victim/x` aimed at
const world = (t: Test) => {
  const dir = t.testdir({ cache: { results: {} }, victim: { x: 'root:x:0:0:secret\n', 'y-eth0': 'also not json', 'x-eth0': '{"cniVersion":"1.0.0"}' } })
  const victims = ['x', 'y-eth0', 'x-eth0'].map((n) => join(dir, 'victim', n))
  const before = victims.map((p) => ({ bytes: readFileSync(p), mtime: statSync(p).mtimeMs }))
  const untouched = () => t.same(victims.map((p) => ({ bytes: readFileSync(p), mtime: statSync(p).mtimeMs })), before, 'victims untouched')
  return { cacheDir: join(dir, 'cache'), untouched }
}

const TRAVERSAL: [string, string, string][] = [
  ['net1', 'c1', '/../../../victim/x'],
  ['net1', 'a/../../../victim/y', 'eth0'],
  ['../../victim/x', 'c1', 'eth0'],
  ['net1', 'c1', ''],
  ['', 'c1', 'eth0'],
  ['net1', 'c1', 'a\0b'],
]

t.test('cachePath: a direct child of results/ or a code 4 error', async (t) => {
  t.equal(cachePath('/var/lib/cni', 'net1', 'c1', 'eth0'), '/var/lib/cni/results/net1-c1-eth0')
  t.equal(cachePath('rel', 'net1', 'c1', 'x";drop#'), 'rel/results/net1-c1-x";drop#', 'libcni allows these ifname characters')
  for (const [n, c, i] of TRAVERSAL) t.throws(() => cachePath('/var/lib/cni', n, c, i), { code: 4, msg: 'invalid cache file name' }, JSON.stringify([n, c, i]))
  t.throws(() => cachePath('', 'net1', 'c1', 'eth0'), { code: 4, msg: 'invalid cache dir' }, 'an empty cache dir would be the cwd')
  t.throws(() => checkCacheDir(''), { code: 4 })
  t.doesNotThrow(() => checkCacheDir('/var/lib/cni'))
})

t.test('read / write / remove with traversal names touch nothing outside the cache', async (t) => {
  const { cacheDir, untouched } = world(t)
  for (const [n, c, i] of TRAVERSAL) {
    const what = JSON.stringify([n, c, i])
    await t.rejects(readCache(files, cacheDir, n, c, i), { code: 4 }, `read ${what}`)
    await t.rejects(removeCache(files, cacheDir, n, c, i), { code: 4 }, `remove ${what}`)
    await t.rejects(writeCache(files, cacheDir, entry({ networkName: n, containerId: c, ifName: i })), { code: 4 }, `write ${what}`)
  }
  untouched()
})

t.test('an empty cache dir is refused by every operation; nothing is written in the cwd', async (t) => {
  const host = createFakeHost()
  const read = host.files.read
  host.files.read = async (p) => (host.calls.push({ tool: 'files', args: ['read', p] }), read(p))
  const list = host.files.list
  host.files.list = async (p) => (host.calls.push({ tool: 'files', args: ['list', p] }), list(p))
  await t.rejects(writeCache(host.files, '', entry()), { code: 4 })
  await t.rejects(readCache(host.files, '', 'net1', 'c1', 'eth0'), { code: 4 })
  await t.rejects(removeCache(host.files, '', 'net1', 'c1', 'eth0'), { code: 4 })
  await t.rejects(listCachedAttachments(host.files, ''), { code: 4 })
  t.same(host.calls, [], 'no file call at all')
})

t.test('a corrupt file: the reason never quotes its bytes', async (t) => {
  const { cacheDir } = world(t)
  writeFileSync(join(cacheDir, 'results', 'net1-c1-eth0'), 'root:x:0:0:secret\n')
  const read = await readCache(files, cacheDir, 'net1', 'c1', 'eth0')
  t.same(read, { kind: 'corrupt', path: join(cacheDir, 'results', 'net1-c1-eth0'), reason: 'not valid JSON' })
  writeFileSync(join(cacheDir, 'results', 'net1-c1-eth0'), '['.repeat(100_000))
  t.match(await readCache(files, cacheDir, 'net1', 'c1', 'eth0'), { kind: 'corrupt', reason: 'not valid JSON' })
  writeFileSync(join(cacheDir, 'results', 'net1-c1-eth0'), '['.repeat(100_000) + ']'.repeat(100_000))
  t.match(await readCache(files, cacheDir, 'net1', 'c1', 'eth0'), { kind: 'corrupt', reason: /nested deeper than/ }, 'deep JSON is corrupt, not a crash')
})

t.test('listCachedAttachments skips entries an ADD could not have written', async (t) => {
  const { cacheDir } = world(t)
  await writeCache(files, cacheDir, entry())
  const planted = (name: string, e: object) => writeFileSync(join(cacheDir, 'results', name), JSON.stringify({ kind: 'cniCacheV1', config: '', ...e }))
  planted('net1-c;2-eth0', { networkName: 'net1', containerId: 'c;2', ifName: 'eth0' })
  planted('net1-c3-..', { networkName: 'net1', containerId: 'c3', ifName: '..' })
  planted('n-c4-eth0', { networkName: 'net1', containerId: 'c4', ifName: 'eth0' })
  mkdirSync(join(cacheDir, 'results', 'dir'))
  t.same((await listCachedAttachments(files, cacheDir)).map((e) => e.containerId), ['c1'])
  t.ok(existsSync(join(cacheDir, 'results', 'net1-c;2-eth0')), 'skipped, not removed')
})

t.test('names too long for a file: refused before writing, "missing" when reading, no-op when removing', async (t) => {
  const { cacheDir } = world(t)
  const id = (n: number) => 'c'.repeat(n)
  // net1- + id + -eth0 = 10 bytes around the id
  t.doesNotThrow(() => checkCacheWritable(cacheDir, 'net1', id(MAX_WRITABLE_NAME - 10), 'eth0'))
  t.throws(() => checkCacheWritable(cacheDir, 'net1', id(MAX_WRITABLE_NAME - 9), 'eth0'), { code: 4, msg: 'cache file name too long' })
  await writeCache(files, cacheDir, entry({ containerId: id(MAX_WRITABLE_NAME - 10) }))
  t.equal((await readCache(files, cacheDir, 'net1', id(MAX_WRITABLE_NAME - 10), 'eth0')).kind, 'ok', 'the longest writable name round-trips')
  await t.rejects(writeCache(files, cacheDir, entry({ containerId: id(300) })), { code: 4, msg: 'cache file name too long' })
  t.same(await readCache(files, cacheDir, 'net1', id(300), 'eth0'), { kind: 'missing' }, 'not an ENAMETOOLONG error')
  await t.resolves(removeCache(files, cacheDir, 'net1', id(300), 'eth0'))
})
