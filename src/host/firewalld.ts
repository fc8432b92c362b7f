// The real firewalld seam: runtime zone sources through firewall-cmd (the reference plugin uses the
// same D-Bus calls). Runtime only: `firewall-cmd --reload` forgets them (reference-plugins §4.4).
import { runTool } from './exec.js'
import { toolPath } from './tool-path.js'
import type { FirewalldHost } from './types.js'

const SOURCE = /^[0-9a-fA-F.:]+\/\d{1,3}$/
const ZONE = /^[A-Za-z0-9_][A-Za-z0-9_+-]{0,16}$/

const firewallCmd = async (args: string[], okExitCodes: number[] = []) => {
  const tool = await toolPath('firewall-cmd')
  if (!tool) throw new Error('firewall-cmd not found (is firewalld installed?)')
  return runTool(tool, args, { okExitCodes })
}

const check = (zone: string, source: string): void => {
  if (!ZONE.test(zone) || !SOURCE.test(source)) throw new Error(`firewalld: bad zone or source ${JSON.stringify([zone, source])}`)
}

/** realFirewalld talks to the running firewalld. */
export const realFirewalld: FirewalldHost = {
  // already in the zone: firewall-cmd warns (ZONE_ALREADY_SET) and exits 0
  addSource: async (zone, source) => {
    check(zone, source)
    await firewallCmd([`--zone=${zone}`, `--add-source=${source}`])
  },
  removeSource: async (zone, source) => {
    check(zone, source)
    await firewallCmd([`--zone=${zone}`, `--remove-source=${source}`])
  },
  // exit 0 "yes", 1 "no"
  querySource: async (zone, source) => {
    check(zone, source)
    const r = await firewallCmd([`--zone=${zone}`, `--query-source=${source}`], [1])
    return r.exitCode === 0
  },
}
