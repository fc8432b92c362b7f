// portmapPlugin: host ports on nftables (see README.md). plan → apply; recover names conflicts.
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'
import type { MetaPlugin } from '../../src/plan/meta-plugin.js'
import { checkPortmap } from './check.js'
import { planGc } from './gc.js'
import { planAdd, planDel, recoverAdd, recoverDel } from './plan.js'

/** The portmap meta plugin (a drop-in for the reference `portmap`, nftables only). */
export const portmapPlugin: MetaPlugin = {
  type: 'portmap',
  versions: SUPPORTED_VERSIONS,
  about: 'cni-chain portmap: host port mappings on nftables (table inet cni_portmap_v2)',
  plan: async (verb, req, host) => {
    if (verb === 'ADD') return planAdd(req, host)
    if (verb === 'DEL') return planDel(req, host)
    return planGc(req, host)
  },
  check: checkPortmap,
  recover: async (verb, req, host, plan, err) => {
    if (verb === 'ADD') return recoverAdd(req, host, err)
    if (verb === 'DEL') return recoverDel(req, host, plan)
    return undefined
  },
}
