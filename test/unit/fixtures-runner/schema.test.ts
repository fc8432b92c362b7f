// fixtures/fixture.schema.json and the runner's own checks (chain/fixtures/validate.ts) agree: every
// fixture in fixtures/ passes both, and each broken sample fails both.
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { fixtureFiles } from '../../../chain/fixtures/check-file.js'
import { fixtureProblems } from '../../../chain/fixtures/validate.js'

const dir = resolve(import.meta.dirname, '../../../fixtures')
const schema = JSON.parse(readFileSync(resolve(dir, 'fixture.schema.json'), 'utf8')) as object
const ajv = new Ajv({ allErrors: true, strict: true })
const validate = ajv.compile(schema)

const files = await fixtureFiles([dir])

t.test('every fixture is valid by the schema and by the runner', async (t) => {
  t.ok(files.length >= 40, `${files.length} fixtures`)
  for (const f of files) {
    const v: unknown = JSON.parse(readFileSync(f, 'utf8'))
    t.ok(validate(v), `${relative(dir, f)}: schema ${ajv.errorsText(validate.errors)}`)
    t.same(fixtureProblems(v), [], `${relative(dir, f)}: runner`)
  }
})

const base = {
  description: 'd', conflist: 'x.conflist', runtime: { containerId: 'c', netns: '/n', ifname: 'eth0' },
  steps: [{ verb: 'ADD', expect: { result: {} } }],
}
const bad: Record<string, unknown> = {
  'unknown top-level key': { ...base, extra: 1 },
  'misspelt expectation': { ...base, steps: [{ verb: 'ADD', expect: { reslt: {} } }] },
  'result and error together': { ...base, steps: [{ verb: 'ADD', expect: { result: {}, error: { code: 7, msg: 'x' } } }] },
  'no steps': { ...base, steps: [] },
  'unknown verb': { ...base, steps: [{ verb: 'ADDD', expect: {} }] },
  'missing ifname': { ...base, runtime: { containerId: 'c', netns: '/n' } },
  'empty conflist path': { ...base, conflist: '' },
  'conflist a number': { ...base, conflist: 3 },
  'error code a string': { ...base, steps: [{ verb: 'ADD', expect: { error: { code: '7', msg: 'x' } } }] },
  'validAttachments outside GC': { ...base, steps: [{ verb: 'DEL', validAttachments: [], expect: {} }] },
  'plan without steps': { ...base, steps: [{ verb: 'ADD', expect: { plans: [{ plugin: 'tuning', verb: 'ADD' }] } }] },
  'plan step without kind': { ...base, steps: [{ verb: 'ADD', expect: { plans: [{ plugin: 'tuning', verb: 'ADD', steps: [{}] }] } }] },
  'recovery false': { ...base, steps: [{ verb: 'DEL', expect: { plans: [{ plugin: 'portmap', verb: 'DEL', steps: [], recovery: false }] } }] },
  'delegate error for a bad verb': { ...base, delegates: { bridge: { errors: { FOO: { code: 1, msg: 'x' } } } } },
  'delegate with an unknown key': { ...base, delegates: { bridge: { reslt: {} } } },
  'seed link without a name': { ...base, host: { namespaces: { '': { links: [{ mtu: 1500 }] } } } },
  'seed link of an unknown kind': { ...base, host: { namespaces: { '': { links: [{ name: 'x', kind: 'wifi' }] } } } },
  'seed route without dev': { ...base, host: { namespaces: { '': { routes: [{ dst: '10.0.0.0/8' }] } } } },
  'seed with an unknown key': { ...base, host: { links: [] } },
  'seed file without mode': { ...base, host: { files: { '/x': { content: 'a' } } } },
  'annotation not a string': { ...base, runtime: { ...base.runtime, annotations: { a: 1 } } },
}

t.test('broken fixtures fail both checks', async (t) => {
  t.ok(validate(base), 'the base sample is valid')
  t.same(fixtureProblems(base), [])
  for (const [what, v] of Object.entries(bad)) {
    t.notOk(validate(v), `${what}: schema refuses`)
    t.not(fixtureProblems(v).length, 0, `${what}: runner refuses`)
  }
})
