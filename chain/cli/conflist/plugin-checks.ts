// The config checks `conflist validate` runs for cni-chain's own plugin types: each plugin's own
// parser (the one its binary runs before any effect), fed the stdin the runtime would send.
// bandwidth: schema only (the list schema's netconf) until it exports a parser.
import { CniError } from '../../../src/cni/errors.js'
import type { PluginConf } from '../../../src/cni/types.js'
import { SUPPORTED_VERSIONS } from '../../../src/cni/versions.js'
import type { CniEnv } from '../../../src/skel/env.js'
import { parseBandwidthConfig } from '../../../meta-plugins/bandwidth/config.js'
import { parseFirewallConfig } from '../../../meta-plugins/firewall/config.js'
import { parsePortmapConfig } from '../../../meta-plugins/portmap/config.js'
import { parseTuningConfig } from '../../../meta-plugins/tuning/config.js'

/** The plugin types cni-chain ships (the binaries install places). */
export const OUR_TYPES = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain'] as const
export type OurType = (typeof OUR_TYPES)[number]

export const isOurType = (type: string): type is OurType => (OUR_TYPES as readonly string[]).includes(type)

// what a runtime's ADD would carry; nothing here is read from the host
const VALIDATE_ENV: CniEnv = { command: 'ADD', containerId: 'cni-chain-validate', netns: '/proc/self/ns/net', ifname: 'eth0', args: '', path: [] }

type Check = (conf: PluginConf, stdin: string) => void

const CHECKS: Partial<Record<OurType, Check>> = {
  tuning: (conf, stdin) => void parseTuningConfig({ env: VALIDATE_ENV, conf, stdin }, { sysctls: true }),
  portmap: (conf) => void parsePortmapConfig(conf, VALIDATE_ENV.ifname),
  bandwidth: (conf, stdin) => void parseBandwidthConfig({ env: VALIDATE_ENV, conf, stdin }, { rates: true }),
  firewall: (conf) => void parseFirewallConfig(conf),
}

/** What one check found: a message, and the JSON pointer inside the plugin when the parser named one. */
export interface PluginProblem {
  pointer: string
  message: string
}

/**
 * checkOurPlugin runs the parser of an our-type plugin on its stdin (list name and cniVersion
 * injected). Returns the problems (none when valid, or when the type has no parser yet).
 */
export const checkOurPlugin = (type: OurType, conf: PluginConf, stdin: string): PluginProblem[] => {
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(conf.cniVersion)) {
    return [{ pointer: '', message: `${type}: cniVersion ${JSON.stringify(conf.cniVersion)} is not one cni-chain supports (${SUPPORTED_VERSIONS.join(', ')})` }]
  }
  const check = CHECKS[type]
  if (!check) return []
  try {
    check(conf, stdin)
    return []
  } catch (err) {
    if (!(err instanceof CniError)) throw err
    const text = err.details ?? err.message
    // parsers name the key as "/key/sub must be ..." (optionally after "tuning: ")
    const m = /^(?:[a-z]+: )?(\/[^\s]*) (.+)$/.exec(text)
    return [{ pointer: m ? m[1]! : '', message: `${type}: ${m ? m[2]! : text}` }]
  }
}
