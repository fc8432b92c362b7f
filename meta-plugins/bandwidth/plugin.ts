// bandwidth: shapes a pod's traffic both ways with tc on the host end of its veth: a tbf at its
// root for traffic into the pod, a redirect from its ingress hook (through clsact, shared with tc
// BPF users) to an ifb with a tbf for traffic out of it. A drop-in for the reference plugin; see
// README.md for the differences (Kubernetes annotations, runtimes' "no burst", a clean DEL, GC).
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'
import type { MetaPlugin } from '../../src/plan/meta-plugin.js'
import { checkBandwidth } from './check.js'
import { planAdd } from './plan-add.js'
import { planDel } from './plan-del.js'
import { planGc } from './plan-gc.js'

/** bandwidthPlugin is the bandwidth MetaPlugin (the binary, and the `chain` plugin in-process). */
export const bandwidthPlugin: MetaPlugin = {
  type: 'bandwidth',
  versions: SUPPORTED_VERSIONS,
  about: 'cni-chain bandwidth: tc tbf shaping into and out of the pod, Kubernetes bandwidth annotations',
  plan: (verb, req, host) => (verb === 'ADD' ? planAdd(req, host) : verb === 'DEL' ? planDel(req, host) : planGc(req, host)),
  check: checkBandwidth,
}
