import t from 'tap'
import { CniError, ErrorCode, asCniError, invalidConfig } from '../../../src/cni/errors.js'

t.test('CniError renders the spec error object', async (t) => {
  const e = new CniError(ErrorCode.InvalidConfig, 'bad', 'key "x" is 1')
  t.equal(e.message, 'bad: key "x" is 1')
  t.strictSame(e.toJSON('1.1.0'), { cniVersion: '1.1.0', code: 7, msg: 'bad', details: 'key "x" is 1' })
  t.strictSame(new CniError(11, 'later').toJSON(), { code: 11, msg: 'later' })
  t.equal(JSON.stringify(new CniError(3, 'gone')), '{"code":3,"msg":"gone"}')
})

t.test('asCniError keeps CniErrors and wraps anything else as 999 without a stack', async (t) => {
  const e = new CniError(4, 'env')
  t.equal(asCniError(e), e)
  const wrapped = asCniError(new Error('boom'))
  t.strictSame(wrapped.toJSON(), { code: 999, msg: 'boom' })
  t.strictSame(asCniError('text').toJSON(), { code: 999, msg: 'text' })
  t.notMatch(JSON.stringify(wrapped.toJSON()), /at .*\.ts/)
})

t.test('invalidConfig is code 7', async (t) => {
  t.strictSame(invalidConfig('mtu must be a number').toJSON(), { code: 7, msg: 'invalid network config', details: 'mtu must be a number' })
})

t.test('the code table matches the spec', async (t) => {
  t.strictSame([ErrorCode.IncompatibleVersion, ErrorCode.UnsupportedField, ErrorCode.UnknownContainer, ErrorCode.InvalidEnvironment,
    ErrorCode.IoFailure, ErrorCode.DecodingFailure, ErrorCode.InvalidConfig, ErrorCode.TryAgainLater, ErrorCode.NotAvailable,
    ErrorCode.NotAvailableLimitedConnectivity, ErrorCode.PluginSpecific, ErrorCode.Internal], [1, 2, 3, 4, 5, 6, 7, 11, 50, 51, 100, 999])
})
