// Config loading reads through the host seam (a FileReader): the same lists, sibling-dir plugins
// and lookups by name work on files that exist only in memory, and conf-load.ts opens nothing itself.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { findNetworkFile, loadNetwork } from '../../../chain/conf-load.js'
import type { FileReader } from '../../../src/host/types.js'

const DIR = '/etc/cni/net.d'

/** memFiles: a FileReader over path → content; directories are implied by the paths below them. */
const memFiles = (files: Record<string, string>): FileReader & { reads: string[] } => {
  const reads: string[] = []
  const isDir = (p: string) => Object.keys(files).some((f) => f.startsWith(`${p}/`))
  return {
    reads,
    read: async (p) => {
      reads.push(p)
      if (isDir(p)) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${p}'`), { code: 'EISDIR' })
      return files[p]
    },
    list: async (d) => [...new Set(Object.keys(files).filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1).split('/')[0] as string))],
  }
}

const list = (name: string, plugins: object[]) => JSON.stringify({ cniVersion: '1.0.0', name, plugins })

t.test('a network by name, with its sibling-dir plugins, from memory', async (t) => {
  const files = memFiles({
    [`${DIR}/10-other.conflist`]: list('other', [{ type: 'bridge' }]),
    [`${DIR}/20-mynet.conflist`]: list('mynet', [{ type: 'bridge' }]),
    // a directory whose name looks like a config is skipped, not read as one
    [`${DIR}/05-dir.conflist/x`]: 'not json',
    [`${DIR}/mynet/b.conf`]: JSON.stringify({ type: 'portmap' }),
    [`${DIR}/mynet/a.conf`]: JSON.stringify({ type: 'tuning' }),
  })
  const loaded = await loadNetwork('mynet', DIR, files)
  t.equal(loaded.path, `${DIR}/20-mynet.conflist`)
  t.same(loaded.plugins.map((p) => p.type), ['bridge', 'tuning', 'portmap'], 'sibling plugins in name order')
  t.same(JSON.parse(loaded.bytes.toString('utf8')).name, 'mynet')
  t.ok(files.reads.includes(`${DIR}/mynet/a.conf`))
  t.equal(await findNetworkFile(DIR, 'other', files), `${DIR}/10-other.conflist`)
})

t.test('a missing file is an I/O error (code 5); a missing network a config error (7)', async (t) => {
  const files = memFiles({})
  await t.rejects(loadNetwork(`${DIR}/none.conflist`, DIR, files), { code: 5 })
  await t.rejects(loadNetwork('none', DIR, files), { code: 7 })
})

t.test('conf-load.ts uses no fs module of its own', async (t) => {
  const text = readFileSync(join(import.meta.dirname, '../../../chain/conf-load.ts'), 'utf8')
  t.notMatch(text, /from 'node:fs|from 'fs/)
})
