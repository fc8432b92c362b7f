// Entry point of the `cni-chain` CLI: yargs wires one command module per file; every failure is
// one line on stderr (with the CNI code when there is one) and exit status 1.
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { CniError } from '../../src/cni/errors.js'
import { addCommand } from './commands/add.js'
import { checkCommand } from './commands/check.js'
import { conflistCommand } from './commands/conflist.js'
import { delCommand } from './commands/del.js'
import { doctorCommand } from './commands/doctor.js'
import { fixturesCommand } from './commands/fixtures.js'
import { gcCommand } from './commands/gc.js'
import { installCommand } from './commands/install.js'
import { portsCommand } from './commands/ports.js'
import { reloadCommand } from './commands/reload.js'
import { statusCommand } from './commands/status.js'
import { uninstallCommand } from './commands/uninstall.js'
import { versionCommand } from './commands/version.js'

/** errorLine renders a failure as the one line the CLI prints. */
export const errorLine = (err: unknown): string => {
  if (err instanceof CniError) return `cni-chain: ${err.message} (CNI error code ${err.code})`
  return `cni-chain: ${err instanceof Error ? err.message : String(err)}`
}

const main = async (): Promise<void> => {
  await yargs(hideBin(process.argv))
    .scriptName('cni-chain')
    .usage('$0 <command> [options]\n\nRun CNI network configuration lists against network namespaces (like cnitool).')
    .command(addCommand)
    .command(checkCommand)
    .command(delCommand)
    .command(doctorCommand)
    .command(fixturesCommand)
    .command(gcCommand)
    .command(portsCommand)
    .command(reloadCommand)
    .command(statusCommand)
    .command(versionCommand)
    .command(conflistCommand)
    .command(installCommand)
    .command(uninstallCommand)
    .demandCommand(1, 'a command is required')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(null)
    .fail((msg, err) => {
      throw err ?? new Error(`${msg} (see --help)`)
    })
    .parseAsync()
}

main().catch((err: unknown) => {
  process.stderr.write(errorLine(err) + '\n')
  if (process.env.CNI_CHAIN_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n')
  process.exitCode = 1
})
