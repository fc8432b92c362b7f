// The real iptables seam: `iptables -w` / `ip6tables -w` on the filter table (iptables-nft or
// legacy, whichever the node's `iptables` is). Arguments are arrays (no shell); the firewall plugin
// builds them from validated names only.
import { runTool } from './exec.js'
import { toolPath } from './tool-path.js'
import type { IptablesHost } from './types.js'

const toolOf = (family: 4 | 6): string => (family === 6 ? 'ip6tables' : 'iptables')

const resolve = async (family: 4 | 6): Promise<string> => {
  const path = await toolPath(toolOf(family))
  if (!path) throw new Error(`${toolOf(family)} not found (looked on PATH, /usr/sbin, /sbin)`)
  return path
}

const checkArgs = (args: readonly string[]): void => {
  if (args.some((a) => a.includes('\0') || a.includes('\n'))) throw new Error(`iptables: bad argument in ${JSON.stringify(args)}`)
}

/** realIptables runs the iptables tools of this namespace. */
export const realIptables: IptablesHost = {
  available: async (family) => (await toolPath(toolOf(family))) !== undefined,
  rules: async (family) => {
    const { stdout } = await runTool(await resolve(family), ['-w', '-S'])
    return stdout.split('\n').filter((l) => l.trim() !== '')
  },
  run: async (family, args, unless) => {
    checkArgs(args)
    const tool = await resolve(family)
    if (unless) {
      checkArgs(unless)
      // exit 1: no such rule (or no such chain); then the command below says what is wrong
      const r = await runTool(tool, ['-w', '-C', ...unless], { okExitCodes: [1] })
      if (r.exitCode === 0) return
    }
    await runTool(tool, ['-w', ...args])
  },
}
