import t from 'tap'
import { loadCniArgs, parseCniArgs } from '../../../src/cni/args.js'

t.test('parseCniArgs splits K=V pairs in order', async (t) => {
  t.strictSame(parseCniArgs(''), [])
  t.strictSame(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=nginx;K8S_POD_NAMESPACE=default'),
    [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'nginx'], ['K8S_POD_NAMESPACE', 'default']])
  t.strictSame(parseCniArgs('A=1;'), [['A', '1']], 'a trailing ; is tolerated')
  t.strictSame(parseCniArgs('A='), [['A', '']])
})

t.test('a pair without exactly one = is code 4', async (t) => {
  for (const bad of ['A', 'A=1=2', 'A=1;B', 'IP=10.0.0.1/24=x']) {
    t.throws(() => parseCniArgs(bad), { code: 4, msg: 'invalid CNI_ARGS', details: /invalid pair/ }, bad)
  }
})

t.test('loadCniArgs: known keys, unknown keys only with IgnoreUnknown', async (t) => {
  t.strictSame(loadCniArgs('MAC=02:00:00:00:00:01', ['MAC']), { MAC: '02:00:00:00:00:01' })
  t.throws(() => loadCniArgs('MAC=x;K8S_POD_NAME=a', ['MAC']), { code: 4, details: 'unknown args ["K8S_POD_NAME"]' })
  for (const yes of ['1', 'true', 'True']) {
    t.strictSame(loadCniArgs(`K8S_POD_NAME=a;IgnoreUnknown=${yes};MAC=x`, ['MAC']), { MAC: 'x' }, `IgnoreUnknown=${yes}, order does not matter`)
  }
  for (const no of ['0', 'false', 'False']) {
    t.throws(() => loadCniArgs(`IgnoreUnknown=${no};X=1`, []), { code: 4, details: /unknown args/ }, `IgnoreUnknown=${no}`)
  }
  t.throws(() => loadCniArgs('IgnoreUnknown=yes', []), { code: 4, details: /not a boolean/ })
  t.strictSame(loadCniArgs('mac=x;IgnoreUnknown=1', ['MAC']), {}, 'keys are case-sensitive (Go struct field names)')
})
