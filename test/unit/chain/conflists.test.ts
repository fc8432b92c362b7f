// Every shipped conflist loads with the executor's loader (names, versions, plugin types).
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'
import { loadNetwork } from '../../../chain/conf-load.js'

const DIR = resolve(import.meta.dirname, '../../../conflists')

for (const f of readdirSync(DIR).filter((n) => n.endsWith('.conflist'))) {
  t.test(f, async (t) => {
    const list = await loadNetwork(join(DIR, f), DIR)
    t.ok(list.plugins.length > 0)
    for (const p of list.plugins) t.type(p.type, 'string')
  })
}
