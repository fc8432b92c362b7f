// `cni-chain reload [--cache-dir DIR] [--network NAME]... [--force] [--json]`: re-create the
// objects of cni-chain's meta plugins for every attachment in the libcni cache, after a `flush
// ruleset` (`systemctl restart nftables`) or a qdisc/ifb deleted by hand (chain/reload.ts). Run it
// in the node's network namespace; deploy/systemd/cni-chain-reload.service runs it after nftables.
// One line per attachment; exit 1 when any attachment failed (skipped ones are not failures).
import type { CommandModule } from 'yargs'
import { CniError, ErrorCode } from '../../../src/cni/errors.js'
import { createRealHost } from '../../../src/host/real.js'
import { netnsProblem } from '../../../src/host/netns.js'
import { builtinDefinition } from '../../builtin-definitions.js'
import { builtinMeta } from '../../builtins.js'
import { reloadAll, reloadFailure, type AttachmentOutcome, type ReloadReport } from '../../reload.js'
import { combinedRunner, type PluginRunner } from '../../runner.js'
import { cacheDirOf, cacheOption, pluginDirsOf } from '../runtime.js'

interface ReloadOptions {
  'cache-dir'?: string
  'bin-dir'?: string
  network?: string[]
  force: boolean
  json: boolean
}

// reload runs only built-ins; an external type reaching the runner is a bug, never an exec
const refuseExternal: PluginRunner = {
  run: async (_verb, type) => {
    throw new CniError(ErrorCode.Internal, `reload runs only cni-chain's meta plugins, not ${JSON.stringify(type)}`)
  },
}

const describeOne = (a: AttachmentOutcome): string => {
  const who = `${a.network} ${a.containerId} ${a.ifname}`
  const by = (o: string) => a.plugins.filter((p) => p.outcome === o).map((p) => p.type)
  const parts: string[] = []
  if (by('restored').length > 0) parts.push(`re-created by ${by('restored').join(', ')}`)
  if (by('intact').length > 0) parts.push(`intact: ${by('intact').join(', ')}`)
  if (by('removed').length > 0) parts.push(`removed again: ${by('removed').join(', ')}`)
  for (const p of a.plugins.filter((x) => x.outcome === 'failed')) parts.push(`${p.type} failed: ${p.error ?? ''}`)
  if (a.reason) parts.push(a.reason)
  return `${a.outcome.padEnd(8)} ${who}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`
}

/** renderReport: one line per attachment, then a count per outcome. */
export const renderReport = (report: ReloadReport): string => {
  const lines = report.attachments.map(describeOne)
  const counts = new Map<string, number>()
  for (const a of report.attachments) counts.set(a.outcome, (counts.get(a.outcome) ?? 0) + 1)
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ')
  lines.push(`reload: ${report.attachments.length} cached attachment(s)${summary ? `: ${summary}` : ''}`)
  return lines.join('\n') + '\n'
}

/** reloadCommand re-creates the meta plugins' objects of every cached attachment. */
export const reloadCommand: CommandModule<object, ReloadOptions> = {
  command: 'reload',
  describe: "re-create the meta plugins' nftables objects, qdiscs and ifbs of every cached attachment (after `flush ruleset`)",
  builder: (y) =>
    cacheOption(y)
      .option('bin-dir', { type: 'string', describe: 'CNI_PATH given to the plugins (they run in process and search nothing)', defaultDescription: '$CNI_PATH or /opt/cni/bin' })
      .option('network', { type: 'string', array: true, describe: 'only the attachments of this network (repeatable)' })
      .option('force', { type: 'boolean', default: false, describe: 'ADD every meta plugin again without asking CHECK first' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }) as never,
  handler: async (argv) => {
    const host = createRealHost()
    const report = await reloadAll(
      { cacheDir: cacheDirOf(argv), pluginDirs: pluginDirsOf(argv), ...(argv.network ? { networks: argv.network } : {}), force: argv.force },
      {
        runner: combinedRunner(builtinDefinition, createRealHost, refuseExternal),
        isBuiltin: (type) => builtinMeta(type) !== undefined,
        files: host.files,
        inspectNetns: netnsProblem,
      },
    )
    process.stdout.write(argv.json ? JSON.stringify(report, null, 1) + '\n' : renderReport(report))
    const failure = reloadFailure(report)
    if (failure) throw failure
  },
}
