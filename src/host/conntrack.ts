// The real conntrack seam (conntrack-tools).
import { runTool } from './exec.js'
import type { ConntrackHost } from './types.js'

/** realConntrack deletes conntrack entries with the conntrack tool. */
export const realConntrack: ConntrackHost = {
  deleteByPort: async (family, protocol, port) => {
    // exit 1 = "0 flow entries have been deleted", not an error
    await runTool('conntrack', ['-D', '-f', family, '-p', protocol, '--orig-port-dst', String(port)], { okExitCodes: [1] })
  },
}
