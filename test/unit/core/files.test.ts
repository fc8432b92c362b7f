// The real file seam's atomic writer: a symlink planted where the temporary file goes (the old
// predictable `<path>.tmp-<pid>`, random temp-like names, or the exact name it draws) is never
// followed; a symlink at the final path is replaced, its target untouched; modes are exact.
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { isTempName, realFiles, stateTempName, tempName, writeAtomic } from '../../../src/host/files.js'

const VICTIM_TEXT = 'precious\n'

const setup = (t: Test) => {
  const dir = t.testdir({ state: {}, outside: { victim: VICTIM_TEXT } })
  const victim = join(dir, 'outside', 'victim')
  return { dir, state: join(dir, 'state'), victim }
}

t.test('writes the content with exactly the mode asked, whatever the umask', async (t) => {
  const { state } = setup(t)
  const old = process.umask(0o077)
  t.teardown(() => void process.umask(old))
  await realFiles.write(join(state, 'a.json'), '{"a":1}', 0o644)
  t.equal(readFileSync(join(state, 'a.json'), 'utf8'), '{"a":1}')
  t.equal(statSync(join(state, 'a.json')).mode & 0o7777, 0o644)
  await realFiles.write(join(state, 'a.json'), '{"a":2}', 0o600)
  t.equal(statSync(join(state, 'a.json')).mode & 0o7777, 0o600)
  t.same(readdirSync(state), ['a.json'], 'no temporary file left')
})

t.test('creates missing parent directories 0700', async (t) => {
  const { state } = setup(t)
  await realFiles.write(join(state, 'x', 'y', 'f'), 'z', 0o600)
  t.equal(statSync(join(state, 'x')).mode & 0o777, 0o700)
  t.equal(readFileSync(join(state, 'x', 'y', 'f'), 'utf8'), 'z')
})

t.test('a symlink at the old predictable temp name <path>.tmp-<pid> is not followed', async (t) => {
  const { state, victim } = setup(t)
  const path = join(state, 'c1_eth0.json')
  symlinkSync(victim, `${path}.tmp-${process.pid}`)
  await realFiles.write(path, 'mine', 0o600)
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the link target is untouched')
  t.equal(readFileSync(path, 'utf8'), 'mine')
  t.equal(readlinkSync(`${path}.tmp-${process.pid}`), victim, 'the planted link is left as it was')
})

t.test('symlinks planted at many temp-like names are never followed', async (t) => {
  const { state, victim } = setup(t)
  const path = join(state, 'f')
  for (let i = 0; i < 200; i++) symlinkSync(victim, tempName(path))
  for (let i = 0; i < 50; i++) await realFiles.write(path, `v${i}`, 0o600)
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT)
  t.equal(readFileSync(path, 'utf8'), 'v49')
  t.equal(readdirSync(state).filter((n) => lstatSync(join(state, n)).isSymbolicLink()).length, 200, 'the links are still links')
})

t.test('when the drawn name is taken (a symlink, a dangling symlink, a file), the write fails and follows nothing', async (t) => {
  const { state, victim, dir } = setup(t)
  const path = join(state, 'f')
  writeFileSync(path, 'old')
  const planted = join(state, '.f.tmp-0000000000000000')
  const dangling = join(dir, 'outside', 'not-yet')
  for (const [what, plant] of [
    ['symlink to a file', () => symlinkSync(victim, planted)],
    ['dangling symlink', () => symlinkSync(dangling, planted)],
    ['regular file', () => writeFileSync(planted, 'someone else\'s')],
  ] as const) {
    plant()
    await t.rejects(writeAtomic(path, 'new', 0o600, () => planted), { code: 'EEXIST' }, what)
    t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, `${what}: victim untouched`)
    t.notOk(existsSync(dangling), `${what}: nothing created through a dangling link`)
    t.equal(readFileSync(path, 'utf8'), 'old', `${what}: target unchanged`)
    t.ok(lstatSync(planted), `${what}: the planted entry is not removed`)
    await realFiles.remove(planted)
  }
})

t.test('a symlink at the final path is replaced by the file; its target is untouched', async (t) => {
  const { state, victim } = setup(t)
  const path = join(state, 'c1_eth0.json')
  symlinkSync(victim, path)
  await realFiles.write(path, 'mine', 0o600)
  t.notOk(lstatSync(path).isSymbolicLink())
  t.equal(readFileSync(path, 'utf8'), 'mine')
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT)
})

t.test('remove deletes a link, not its target; a missing file is fine', async (t) => {
  const { state, victim } = setup(t)
  symlinkSync(victim, join(state, 'l'))
  await realFiles.remove(join(state, 'l'))
  t.notOk(existsSync(join(state, 'l')))
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT)
  await realFiles.remove(join(state, 'nothing'))
})

t.test('list hides our temporary files and sorts; a missing dir is empty', async (t) => {
  const { state } = setup(t)
  mkdirSync(join(state, 'd'))
  for (const n of ['b', 'a', '.orig', '.b.tmp-0123456789abcdef', 'b.tmp-1234', '.x.tmp-12']) writeFileSync(join(state, 'd', n), '')
  t.same(await realFiles.list(join(state, 'd')), ['.orig', '.x.tmp-12', 'a', 'b', 'b.tmp-1234'])
  t.same(await realFiles.list(join(state, 'nope')), [])
  t.ok(isTempName('.c1_eth0.json.tmp-0123456789abcdef'))
  t.notOk(isTempName('c1_eth0.json'))
})

t.test('a state file\'s fixed temp name: a crash-left temp is replaced, a planted link unlinked, never followed; remove takes it', async (t) => {
  const { state, victim } = setup(t)
  const path = join(state, 'rec.json')
  const tmp = stateTempName(path)
  t.ok(isTempName(tmp.slice(state.length + 1)), 'listed as a temp name (hidden from list)')
  writeFileSync(tmp, 'half-written by a killed plugin')
  await realFiles.write(path, 'one', 0o600)
  t.equal(readFileSync(path, 'utf8'), 'one')
  t.notOk(existsSync(tmp), 'the crash-left temp is gone')
  symlinkSync(victim, tmp)
  await realFiles.write(path, 'two', 0o600)
  t.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT, 'the link target is untouched')
  t.equal(readFileSync(path, 'utf8'), 'two')
  writeFileSync(tmp, 'left by a crash')
  await realFiles.remove(path)
  t.same(readdirSync(state), [], 'remove takes the target and its temp name')
})
