// Plan fixtures: each fixtures/tuning/*.json holds an input (verb, CNI_* values, config, observed
// host state) and the exact plan tuning must produce for it, compared as JSON. Inputs live in the
// files; UPDATE_FIXTURES=1 rewrites only their `expected` (review the diff).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'
import type { PlannedVerb } from '../../../src/plan/meta-plugin.js'
import type { PluginConf } from '../../../src/cni/types.js'
import { readCniEnv } from '../../../src/skel/env.js'
import { CID, IFNAME, NETNS, tuningHost, type LinkModel } from './helpers.js'

interface TuningFixture {
  description: string
  verb: PlannedVerb
  env?: { containerId?: string; ifname?: string; netns?: string; args?: string }
  conf: PluginConf
  host: { link?: LinkModel | null; sysctls?: Record<string, string>; files?: Record<string, string>; netnsGone?: boolean }
  expected: unknown
}

const dir = new URL('../../../fixtures/tuning/', import.meta.url)
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
t.ok(files.length >= 8, 'fixtures present')

for (const file of files) {
  t.test(file, async (t) => {
    const url = new URL(file, dir)
    const fx = JSON.parse(readFileSync(url, 'utf8')) as TuningFixture
    const ifname = fx.env?.ifname ?? IFNAME
    const host = tuningHost({ link: fx.host.link ?? undefined, sysctls: fx.host.sysctls ?? {}, ifname })
    for (const [p, content] of Object.entries(fx.host.files ?? {})) host.files.contents.set(p, { content, mode: 0o600 })
    if (fx.host.netnsGone) host.namespaces.delete(NETNS)
    const stdin = JSON.stringify(fx.conf)
    const env = readCniEnv({
      CNI_COMMAND: fx.verb, CNI_CONTAINERID: fx.verb === 'GC' ? '' : fx.env?.containerId ?? CID,
      CNI_NETNS: fx.verb === 'GC' ? '' : fx.env?.netns ?? NETNS, CNI_IFNAME: fx.verb === 'GC' ? '' : ifname,
      CNI_ARGS: fx.env?.args ?? '', CNI_PATH: '/opt/cni/bin',
    })
    const plan = await tuningPlugin.plan(fx.verb, { env, conf: fx.conf, stdin }, host)
    const actual = JSON.parse(JSON.stringify(plan)) as unknown
    if (process.env.UPDATE_FIXTURES) writeFileSync(url, JSON.stringify({ ...fx, expected: actual }, null, 1) + '\n')
    t.strictSame(actual, fx.expected, fx.description)
    t.same(host.calls, [], 'planning wrote nothing')
  })
}
