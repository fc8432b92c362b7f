// tuning: sysctls and link settings (mac, mtu, promisc, allmulti, txqueuelen) for the pod's
// interface, restored on DEL. A drop-in for the reference plugin; see README.md for the differences.
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'
import type { MetaPlugin } from '../../src/plan/meta-plugin.js'
import { checkTuning } from './check.js'
import { planAdd } from './plan-add.js'
import { planDel } from './plan-del.js'
import { planGc } from './plan-gc.js'

/** tuningPlugin is the tuning MetaPlugin (the binary, and the `chain` plugin in-process). */
export const tuningPlugin: MetaPlugin = {
  type: 'tuning',
  versions: SUPPORTED_VERSIONS,
  about: 'cni-chain tuning: sysctls and link settings in the pod, restored on DEL',
  plan: (verb, req, host) => (verb === 'ADD' ? planAdd(req, host) : verb === 'DEL' ? planDel(req, host) : planGc(req, host)),
  check: checkTuning,
}
