// The fixture runner's pure parts: JSON paths, the structural diff, the fixture file format, the
// host view and delta, and the format checks.
import t from 'tap'
import { diffJson, differenceLine } from '../../../chain/fixtures/diff.js'
import { formatJson } from '../../../chain/fixtures/format.js'
import { hostDelta, hostView } from '../../../chain/fixtures/host-view.js'
import { pathText } from '../../../chain/fixtures/json-path.js'
import { fixtureProblems } from '../../../chain/fixtures/validate.js'

t.test('pathText', async (t) => {
  t.equal(pathText([]), '$')
  t.equal(pathText(['steps', 0, 'expect', 'plans', 1]), '$.steps[0].expect.plans[1]')
  t.equal(pathText(['namespaces', '/run/netns/p', 'sysctls', 'net/core/somaxconn']), '$.namespaces["/run/netns/p"].sysctls["net/core/somaxconn"]')
  t.equal(pathText(['a', '']), '$.a[""]')
})

t.test('diffJson names every differing leaf by path', async (t) => {
  t.same(diffJson({ a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }), [])
  t.same(diffJson({ a: 1 }, { a: 2 }), [{ path: ['a'], expected: 1, actual: 2 }])
  t.same(diffJson({ a: [1, 2] }, { a: [1] }), [{ path: ['a', 1], expected: 2, actual: undefined }])
  t.same(diffJson({ a: 1 }, { a: 1, b: 2 }), [{ path: ['b'], expected: undefined, actual: 2 }])
  t.same(diffJson({ a: { b: 1 } }, { a: [1] }), [{ path: ['a'], expected: { b: 1 }, actual: [1] }])
  t.same(diffJson(null, undefined), [{ path: [], expected: null, actual: undefined }])
  t.same(diffJson({ x: 1, y: 2 }, { y: 2, x: 1 }), [], 'key order does not matter')
  t.equal(differenceLine({ path: ['p', 0], expected: 8080, actual: 8081 }, ['steps', 1]), '$.steps[1].p[0]: expected 8080, got 8081')
  t.equal(differenceLine({ path: ['p'], expected: undefined, actual: 'x' }), '$.p: expected absent, got "x"')
})

t.test('formatJson keeps short values on one line and round-trips', async (t) => {
  const v = { a: [1, 2, { b: 'c' }], long: Array.from({ length: 30 }, (_, i) => ({ key: `value-${i}` })), empty: {}, none: [] }
  const text = formatJson(v)
  t.same(JSON.parse(text), v)
  t.ok(text.endsWith('\n'))
  t.match(text, /"a": \[1, 2, \{ "b": "c" \}\]/)
  t.ok(text.split('\n').every((l) => l.length <= 112 || !l.trim().startsWith('{ "key"')), 'lines stay within the width')
  t.equal(formatJson('x'), '"x"\n')
})

const snapshot = (mtu: number, extraRule = false) => ({
  namespaces: {
    '': {
      links: [{ name: 'lo', mtu: 65536 }, { name: 'cni0', mtu: 1500 }],
      sysctls: { 'net/core/somaxconn': '4096' },
      routes: [{ dst: '10.0.0.0/24', dev: 'cni0' }],
      nft: [{ table: 'inet t', objects: [{ table: { family: 'inet', name: 't' } }, { chain: { family: 'inet', table: 't', name: 'c' } },
        { map: { family: 'inet', table: 't', name: 'm', type: 'inet_service', map: 'verdict', elem: [] } },
        { rule: { family: 'inet', table: 't', chain: 'c', expr: [{ accept: null }] } },
        ...(extraRule ? [{ rule: { family: 'inet', table: 't', chain: 'c', expr: [{ drop: null }] } }] : [])] }],
    },
    '/run/netns/p': { links: [{ name: 'eth0', mtu }], sysctls: {}, routes: [], nft: [] },
  },
  files: { '/run/x': { content: 'a', mode: 384 } },
  dirs: ['/run'],
})

t.test('hostView keys lists by name', async (t) => {
  const v = hostView(snapshot(1500)) as any
  t.same(Object.keys(v.namespaces[''].links), ['lo', 'cni0'])
  t.same(v.namespaces[''].links.cni0, { mtu: 1500 })
  t.same(v.namespaces[''].routes, { '10.0.0.0/24 dev cni0': {} })
  t.same(v.namespaces[''].nft['inet t'], { 'chain c': { rules: [{ expr: [{ accept: null }] }] }, 'map m': { type: 'inet_service', map: 'verdict', elem: [] } })
  t.same(v.dirs, { '/run': true })
})

t.test('hostDelta: changed and added keys with their new value, removed ones null, lists whole', async (t) => {
  const a = hostView(snapshot(1500))
  t.same(hostDelta(a, a), {})
  t.same(hostDelta(a, hostView(snapshot(1400))), { namespaces: { '/run/netns/p': { links: { eth0: { mtu: 1400 } } } } })
  const b = hostView({ ...snapshot(1500, true), files: {} })
  t.same(hostDelta(a, b), {
    namespaces: { '': { nft: { 'inet t': { 'chain c': { rules: [{ expr: [{ accept: null }] }, { expr: [{ drop: null }] }] } } } } },
    files: { '/run/x': null },
  })
})

const good = {
  description: 'd', conflist: 'x.conflist', runtime: { containerId: 'c', netns: '/n', ifname: 'eth0' },
  steps: [{ verb: 'ADD', expect: {} }],
}

t.test('fixtureProblems: a minimal fixture passes; each problem is named by path', async (t) => {
  t.same(fixtureProblems(good), [])
  t.match(fixtureProblems({ ...good, steps: [{ verb: 'ADD', expect: { reslt: {} } }] }), [/\$\.steps\[0\]\.expect\.reslt: unknown key/])
  t.match(fixtureProblems({ ...good, runtime: { containerId: 'c', netns: '/n' } }), [/\$\.runtime\.ifname: required/])
  t.match(fixtureProblems({ ...good, steps: [{ verb: 'ADDD', expect: {} }] }), [/\$\.steps\[0\]\.verb: must be one of/])
  t.match(fixtureProblems({ ...good, steps: [{ verb: 'ADD', expect: { result: {}, error: { code: 7, msg: 'x' } } }] }), [/result and error exclude each other/])
  t.match(fixtureProblems({ ...good, steps: [{ verb: 'DEL', validAttachments: [], expect: {} }] }), [/validAttachments: only for GC/])
  t.match(fixtureProblems({ ...good, host: { namespaces: { '': { links: [{ mtu: 1 }] } } } }), [/\$\.host\.namespaces\[""\]\.links\[0\]\.name: required/])
  t.match(fixtureProblems({ ...good, delegates: { bridge: { errors: { ADD: { code: 'x', msg: 'm' } } } } }), [/\$\.delegates\.bridge\.errors\.ADD\.code: must be an integer/])
  t.match(fixtureProblems({ ...good, steps: [] }), [/needs at least one step/])
  t.match(fixtureProblems([]), [/\$: must be an object/])
})
