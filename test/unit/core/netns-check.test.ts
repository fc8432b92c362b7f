// CNI_NETNS must name a namespace file (issue 8, item 7): a plain file, a directory or a missing
// path is refused with a reason naming it. /proc/self/ns/net is a namespace file that needs no root.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { netnsProblem } from '../../../src/host/netns.js'

t.test('a namespace file passes; anything else is named with the reason', async (t) => {
  t.equal(await netnsProblem('/proc/self/ns/net'), undefined)
  const dir = t.testdir()
  const plain = join(dir, 'plain')
  writeFileSync(plain, 'not a namespace')
  mkdirSync(join(dir, 'sub'))
  t.equal(await netnsProblem(plain), `${JSON.stringify(plain)} is not a network namespace (not a namespace file)`)
  t.match(await netnsProblem(join(dir, 'sub')), /is not a network namespace/)
  t.equal(await netnsProblem(join(dir, 'missing')), `${JSON.stringify(join(dir, 'missing'))} is not a network namespace (ENOENT)`)
  t.equal(await netnsProblem(''), 'CNI_NETNS is empty')
  t.match(await netnsProblem('/proc/self/status'), /not a namespace file/, 'procfs but not a namespace')
})
