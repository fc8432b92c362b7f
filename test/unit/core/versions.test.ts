import t from 'tap'
import { SUPPORTED_VERSIONS, VERB_MIN_VERSION, compareVersions, parseVersion, versionAtLeast } from '../../../src/cni/versions.js'

t.test('parseVersion follows libcni', async (t) => {
  t.strictSame(parseVersion(''), [0, 1, 0])
  t.strictSame(parseVersion('1'), [1, 0, 0])
  t.strictSame(parseVersion('0.4'), [0, 4, 0])
  t.strictSame(parseVersion('1.1.0'), [1, 1, 0])
  for (const bad of ['1.0.0.0', 'a.b', '1..0', '1.0.x', 'v1.0.0']) t.throws(() => parseVersion(bad), /invalid version/, bad)
})

t.test('compareVersions and versionAtLeast order numerically', async (t) => {
  t.ok(compareVersions('0.10.0', '0.4.0') > 0)
  t.ok(compareVersions('1.0.0', '1.0') === 0)
  t.ok(compareVersions('0.3.1', '0.4.0') < 0)
  t.ok(compareVersions('', '0.1.0') === 0)
  t.ok(versionAtLeast('1.1.0', '1.1.0'))
  t.notOk(versionAtLeast('1.0.0', '1.1.0'))
  t.strictSame(['1.1.0', '0.3.0', '1.0.0', '0.4.0'].sort(compareVersions), ['0.3.0', '0.4.0', '1.0.0', '1.1.0'])
})

t.test('supported versions and verb minimums', async (t) => {
  t.strictSame(SUPPORTED_VERSIONS, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])
  t.strictSame(VERB_MIN_VERSION, { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' })
})
