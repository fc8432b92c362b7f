// Entry of bin/.code/version.cjs: the VERSION answer of every plugin binary, without loading the
// plugin. A runtime asks VERSION of each plugin it validates, and the whole bundle's start-up
// (~15 ms over Node's own) buys nothing there: the start-up stub (scripts/loader/stub.cjs) runs this
// small bundle instead when CNI_COMMAND is VERSION. It is the same runPlugin on the same IO, so
// the answer and every error are the plugin's own; all cni-chain plugins support SUPPORTED_VERSIONS
// (test/unit/repo/version-bundle.test.ts checks that, and that both answers are equal).
import { CniError, ErrorCode } from '../cni/errors.js'
import { SUPPORTED_VERSIONS } from '../cni/versions.js'
import { exitProcess, processIO } from './io.js'
import { runPlugin } from './run-plugin.js'

const noHost = (): never => {
  throw new CniError(ErrorCode.Internal, 'the VERSION bundle serves VERSION only')
}

void runPlugin({ type: 'version', versions: SUPPORTED_VERSIONS, about: 'cni-chain' }, processIO(), noHost).then(exitProcess)
