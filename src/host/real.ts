// The real Host: each effect kind on its tool, one module each (nft, command for ip/tc, sysctl,
// conntrack, netns, files, iptables, firewalld). Names and values are validated by the plugins that
// plan them; these modules add only the checks that protect the tools themselves.
import { commandHost } from './command.js'
import { realConntrack } from './conntrack.js'
import { realFiles } from './files.js'
import { realFirewalld } from './firewalld.js'
import { realIptables } from './iptables.js'
import { realNetns } from './netns.js'
import { realNft } from './nft.js'
import { realSysctl } from './sysctl.js'
import type { Host } from './types.js'

/** createRealHost returns the Host that changes this machine. */
export const createRealHost = (): Host => ({
  nft: realNft,
  ip: commandHost('ip'),
  tc: commandHost('tc'),
  sysctl: realSysctl,
  conntrack: realConntrack,
  netns: realNetns,
  files: realFiles,
  iptables: realIptables,
  firewalld: realFirewalld,
})
