// Plan fixtures: each fixtures/portmap/*.json holds an input and the exact plan (nft batch, sysctl,
// files, conntrack) portmap must produce for it. Compared as JSON.
import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { fakeFor, request, type PortmapFixture } from './helpers.js'
import { fixtureInputs } from './make-fixtures.js'

const dir = new URL('../../../fixtures/portmap/', import.meta.url)

t.equal(podChainName('testnet', 'ctr1', 'eth0'), 'pm-ycybijzzgs2qtjkm', 'the fixtures\' chain name')

for (const [name, input] of Object.entries(fixtureInputs)) {
  t.test(name, async (t) => {
    const host = fakeFor(input)
    const plan = await portmapPlugin.plan(input.verb, request(input.conf, input.env), host)
    const actual = JSON.parse(JSON.stringify(plan))
    const file = new URL(`${name}.json`, dir)
    if (process.env.UPDATE_FIXTURES) writeFileSync(file, JSON.stringify({ ...input, expected: actual }, null, 1) + '\n')
    const stored = JSON.parse(readFileSync(file, 'utf8')) as PortmapFixture
    t.same(stored.conf, input.conf, 'stored input matches the test input')
    t.strictSame(actual, stored.expected, input.description)
    t.same(host.calls, [], 'planning wrote nothing')
  })
}
