// The atomic replacement under every node-file edit: mode and content, no temp file left, a
// concurrent rewrite detected (nothing written), non-regular targets refused, and editFile's
// re-read when the file changed under it.
import { chmodSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConcurrentChangeError, writeFileAtomic } from '../../../chain/cli/files/atomic.js'
import { editFile } from '../../../chain/cli/conflist/file-edit.js'

t.test('replaces the content, keeps the mode, leaves no temp file', async (t) => {
  const dir = t.testdir({ 'a.conflist': 'old' })
  const file = join(dir, 'a.conflist')
  chmodSync(file, 0o604)
  await writeFileAtomic(file, 'new')
  t.equal(readFileSync(file, 'utf8'), 'new')
  t.equal(statSync(file).mode & 0o777, 0o604)
  await writeFileAtomic(join(dir, 'b'), 'x', { mode: 0o640 })
  t.equal(statSync(join(dir, 'b')).mode & 0o777, 0o640, 'a new file gets the mode asked for, whatever the umask')
  t.same(readdirSync(dir).sort(), ['a.conflist', 'b'])
})

t.test('expect: a file changed since it was read is not overwritten', async (t) => {
  const dir = t.testdir({ 'a.conflist': 'theirs' })
  const file = join(dir, 'a.conflist')
  await t.rejects(writeFileAtomic(file, 'ours', { expect: Buffer.from('what we read') }), ConcurrentChangeError)
  t.equal(readFileSync(file, 'utf8'), 'theirs')
  t.same(readdirSync(dir), ['a.conflist'], 'temp file removed')
})

t.test('a symlink or a directory at the target is refused unless replaceAny', async (t) => {
  const dir = t.testdir({ real: 'r', sub: {} })
  symlinkSync(join(dir, 'real'), join(dir, 'link'))
  await t.rejects(writeFileAtomic(join(dir, 'link'), 'x'), /symbolic link/)
  await t.rejects(writeFileAtomic(join(dir, 'sub'), 'x'), /not a regular file/)
  t.equal(readFileSync(join(dir, 'real'), 'utf8'), 'r')
  await writeFileAtomic(join(dir, 'link'), 'x', { replaceAny: true, mode: 0o755 })
  t.equal(readFileSync(join(dir, 'link'), 'utf8'), 'x')
  t.equal(readFileSync(join(dir, 'real'), 'utf8'), 'r', 'the link was replaced, not its target')
})

t.test('editFile makes the edit again on a file rewritten between read and rename', async (t) => {
  const dir = t.testdir({ 'a.conflist': 'v1' })
  const file = join(dir, 'a.conflist')
  const seen: string[] = []
  const r = await editFile(file, (text) => {
    seen.push(text)
    // the primary CNI rewrites the file while the first edit is being made
    if (seen.length === 1) writeFileSync(file, 'v2')
    return { text: `${text}+edit` }
  })
  t.same(seen, ['v1', 'v2'])
  t.equal(readFileSync(file, 'utf8'), 'v2+edit')
  t.equal(r.written, true)
  const again = await editFile(file, (text) => ({ text }))
  t.equal(again.written, false, 'an edit that changes nothing writes nothing')
})
