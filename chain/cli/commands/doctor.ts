// `cni-chain doctor`: the forward-hook chains of this network namespace that drop (policy drop, or
// a drop/reject rule of their own), in every ip, ip6 and inet table, and what cni-chain does about
// each (meta-plugins/firewall/diagnose.ts). Reads only: `nft -j list chains`, then one
// `nft -j list chain` per forward-hook chain (and DOCKER-USER beside an iptables FORWARD).
import type { CommandModule } from 'yargs'
import { CniError, ErrorCode } from '../../../src/cni/errors.js'
import { createRealHost } from '../../../src/host/real.js'
import { listedRules, type ListedRule } from '../../../src/nft/read.js'
import { diagnose, forwardChains, renderFindings } from '../../../meta-plugins/firewall/diagnose.js'
import { DOCKER_USER } from '../../../meta-plugins/firewall/iptables-rules.js'
import { DEFAULT_MARK_BIT } from '../../../meta-plugins/firewall/layout.js'

interface DoctorOptions {
  json: boolean
  'accept-mark-bit': number
}

/** doctorCommand prints the findings (text, or JSON with --json); it changes nothing. */
export const doctorCommand: CommandModule<object, DoctorOptions> = {
  command: 'doctor',
  describe: "list the forward-hook chains that drop pod traffic and what cni-chain's firewall does about each",
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' })
      .option('accept-mark-bit', { type: 'number', default: DEFAULT_MARK_BIT, describe: "the firewall's acceptMarkBit (mark = 1 << bit)" }) as never,
  handler: async (argv) => {
    const bit = argv['accept-mark-bit']
    if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new CniError(ErrorCode.InvalidConfig, 'invalid --accept-mark-bit', 'an integer 0-31')
    const mark = 2 ** bit
    const host = createRealHost()
    const chains = forwardChains((await host.nft.list(['chains'])) ?? [])
    const rules = new Map<string, ListedRule[]>()
    const load = async (family: string, table: string, chain: string): Promise<void> => {
      const objs = await host.nft.list(['chain', family, table, chain])
      rules.set(`${family} ${table} ${chain}`, listedRules(objs ?? [], chain))
    }
    for (const c of chains) {
      await load(c.family, c.table, c.name)
      if (c.table === 'filter' && c.name === 'FORWARD' && (c.family === 'ip' || c.family === 'ip6')) await load(c.family, c.table, DOCKER_USER)
    }
    const findings = diagnose(chains, (f, t, c) => rules.get(`${f} ${t} ${c}`) ?? [], mark)
    process.stdout.write(argv.json ? JSON.stringify(findings, null, 1) + '\n' : renderFindings(findings, mark))
  },
}
