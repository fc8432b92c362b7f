// firewallPlugin: pod traffic on a node that drops forwarded traffic, and the ingress policies, on
// nftables (see README.md). plan → apply; recover names address conflicts and retries DEL.
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'
import type { MetaPlugin } from '../../src/plan/meta-plugin.js'
import { checkFirewall } from './check.js'
import { planAdd, planDel, planGc, recoverAdd, recoverDel } from './plan.js'

/** The firewall meta plugin (a drop-in for the reference `firewall`, enforcing in nftables). */
export const firewallPlugin: MetaPlugin = {
  type: 'firewall',
  versions: SUPPORTED_VERSIONS,
  about: 'cni-chain firewall: allow pod traffic and enforce ingressPolicy on nftables (table inet cni_firewall_v1)',
  plan: async (verb, req, host) => {
    if (verb === 'ADD') return planAdd(req, host)
    if (verb === 'DEL') return planDel(req, host)
    return planGc(req, host)
  },
  check: checkFirewall,
  recover: async (verb, req, host, plan, err) => {
    if (verb === 'ADD') return recoverAdd(req, host, err)
    if (verb === 'DEL') return recoverDel(req, host, plan)
    return undefined
  },
}
