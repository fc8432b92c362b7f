import t from 'tap'
import { VERBS, readCniEnv } from '../../../src/skel/env.js'

const full = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_ARGS: 'A=1', CNI_PATH: '/opt/cni/bin:/usr/lib/cni' }

// skel's table (cni-spec.md 1.2)
const REQUIRED: Record<string, string[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
  VERSION: [],
}

t.test('every verb x every variable: missing required -> code 4 naming it; optional ones may be absent or empty', async (t) => {
  let cells = 0
  for (const verb of VERBS) {
    for (const name of Object.keys(full)) {
      for (const absent of [undefined, '']) {
        const env: Record<string, string | undefined> = { ...full, CNI_COMMAND: verb, [name]: absent }
        if (REQUIRED[verb]?.includes(name)) {
          t.throws(() => readCniEnv(env), { code: 4, msg: `required env variables [${name}] missing` }, `${verb} without ${name}`)
        } else {
          t.doesNotThrow(() => readCniEnv(env), `${verb} without ${name}`)
        }
        cells++
      }
    }
  }
  t.equal(cells, 6 * 5 * 2)
})

t.test('several missing variables are named together', async (t) => {
  t.throws(() => readCniEnv({ CNI_COMMAND: 'ADD' }), { code: 4, msg: 'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing' })
})

t.test('CNI_COMMAND missing or unknown -> code 4', async (t) => {
  t.throws(() => readCniEnv({ ...full }), { code: 4, msg: 'required env variables [CNI_COMMAND] missing' })
  t.throws(() => readCniEnv({ ...full, CNI_COMMAND: 'add' }), { code: 4, msg: 'unknown CNI_COMMAND: add' })
  t.throws(() => readCniEnv({ ...full, CNI_COMMAND: 'FOO' }), { code: 4, msg: 'unknown CNI_COMMAND: FOO' })
})

t.test('bad container id or ifname -> code 4', async (t) => {
  t.throws(() => readCniEnv({ ...full, CNI_COMMAND: 'ADD', CNI_CONTAINERID: '-x' }), { code: 4, msg: 'invalid CNI_CONTAINERID' })
  t.throws(() => readCniEnv({ ...full, CNI_COMMAND: 'ADD', CNI_IFNAME: 'x'.repeat(16) }), { code: 4, msg: 'invalid CNI_IFNAME' })
  t.throws(() => readCniEnv({ ...full, CNI_COMMAND: 'DEL', CNI_IFNAME: 'a/b' }), { code: 4, msg: 'invalid CNI_IFNAME' })
})

t.test('parsed values; CNI_PATH split on :, empty parts dropped', async (t) => {
  t.strictSame(readCniEnv({ ...full, CNI_COMMAND: 'ADD', CNI_PATH: '/a::/b:' }), {
    command: 'ADD', containerId: 'c1', netns: '/run/netns/p', ifname: 'eth0', args: 'A=1', path: ['/a', '/b'],
  })
  t.strictSame(readCniEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c', CNI_IFNAME: 'eth0', CNI_PATH: '/x', CNI_NETNS: '' }).netns, '')
})
