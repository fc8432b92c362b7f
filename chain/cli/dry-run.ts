// `cni-chain add|del|check ... --dry-run`: the verb runs through the executor as usual, with the
// built-in plugins in process on a host that reads but never writes (dry-run-host.ts), and prints
// every plan the plugins made — the same `plans` a fixture records — and the ADD result. External
// plugins are not run: with `--prev-result FILE` the interface plugin's ADD result is that file
// (and, for DEL and CHECK, it stands in for the cached result); without it, an ADD that needs an
// external plugin is refused. Reads come from this machine (root), or, with --prev-result and no
// root, from the semantic fake host built from that result (chain/fixtures/world.ts).
import { readFile } from 'node:fs/promises'
import type { Argv } from 'yargs'
import { writeCache } from '../../src/cni/cache.js'
import { CniError, ErrorCode, asCniError } from '../../src/cni/errors.js'
import { parseJson } from '../../src/cni/json.js'
import { isObject } from '../../src/cni/keys.js'
import type { JsonObject } from '../../src/cni/types.js'
import { createRealHost } from '../../src/host/real.js'
import type { FileHost, Host } from '../../src/host/types.js'
import { netnsProblem } from '../../src/host/netns.js'
import { loadNetwork } from '../conf-load.js'
import { addList, checkList, delList, type ExecutorDeps, type RuntimeArgs } from '../executor.js'
import { recordingResolver } from '../fixtures/engine.js'
import { formatJson } from '../fixtures/format.js'
import { memFiles } from '../fixtures/mem-files.js'
import type { PlanLog } from '../fixtures/record.js'
import { worldFromResult } from '../fixtures/world.js'
import { combinedRunner, type PluginRunner } from '../runner.js'
import { dryRunHost, type SkippedWrite } from './dry-run-host.js'
import { type AttachmentOptions, confDirOf, networkOf, runtimeArgsOf } from './runtime.js'

/** The options --dry-run adds to add / check / del. */
export interface DryRunOptions {
  'dry-run'?: boolean
  'prev-result'?: string
}

/** dryRunOptions adds --dry-run and --prev-result. */
export const dryRunOptions = <T>(y: Argv<T>) =>
  y
    .option('dry-run', { type: 'boolean', describe: 'print the plans the plugins would apply, and change nothing' })
    .option('prev-result', { type: 'string', describe: 'with --dry-run: the interface plugin\'s ADD result (a JSON file); then no delegate plugin runs, and no root is needed' })
    // a real verb never takes a result from a file: --prev-result without --dry-run is a mistake, not ignored
    .check((argv) => argv['prev-result'] === undefined || argv['dry-run'] === true || '--prev-result needs --dry-run')

const readPrevResult = async (path: string): Promise<JsonObject> => {
  let v: unknown
  try {
    v = parseJson(await readFile(path, 'utf8'))
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, 'invalid --prev-result', `${path}: ${(err as Error).message}`)
  }
  if (!isObject(v)) throw new CniError(ErrorCode.DecodingFailure, 'invalid --prev-result', `${path}: not a JSON object`)
  return v
}

/** externalStandIn: external plugins do not run in a dry run; the first ADD answers with --prev-result. */
const externalStandIn = (prev: JsonObject | undefined, notes: string[]): PluginRunner => {
  let answered = false
  return {
    run: async (verb, type, conf) => {
      if (verb !== 'ADD') {
        notes.push(`plugin ${JSON.stringify(type)} (external): ${verb} not run`)
        return undefined
      }
      if (prev && !answered) {
        answered = true
        notes.push(`plugin ${JSON.stringify(type)} (external): ADD not run, its result is --prev-result`)
        return structuredClone(prev)
      }
      if (prev && isObject(conf.prevResult)) {
        notes.push(`plugin ${JSON.stringify(type)} (external): ADD not run, prevResult passed on`)
        return structuredClone(conf.prevResult)
      }
      throw new CniError(ErrorCode.InvalidEnvironment, `--dry-run cannot run external plugin ${JSON.stringify(type)} without changing the host`,
        'give its ADD result with --prev-result FILE')
    },
  }
}

/** cacheFiles: the result cache reads the real cache dir; its writes are noted, not made. */
const cacheFiles = (real: FileHost, notes: string[]): FileHost => ({
  read: (p) => real.read(p),
  list: (d) => real.list(d),
  write: async (p) => void notes.push(`cache: would write ${p}`),
  remove: async (p) => void notes.push(`cache: would remove ${p}`),
  removeDir: async (p) => void notes.push(`cache: would remove directory ${p}`),
})

/** What a dry run printed. */
export interface DryRunReport {
  dryRun: 'ADD' | 'DEL' | 'CHECK'
  network: string
  plans: PlanLog['plans']
  result?: JsonObject
  error?: ReturnType<CniError['toJSON']>
  notes: string[]
}

/**
 * dryRunReport runs `verb` as the add / check / del command would, changing nothing. `useFake`:
 * read from the semantic fake built from --prev-result (the CLI does when not root).
 */
export const dryRunReport = async (verb: DryRunReport['dryRun'], argv: AttachmentOptions & DryRunOptions, rt: RuntimeArgs, useFake: boolean): Promise<DryRunReport> => {
  if (argv.builtins === false) throw new CniError(ErrorCode.InvalidEnvironment, '--dry-run runs the built-in plugins in process', '--no-builtins cannot be combined with it')
  const list = await loadNetwork(networkOf(argv), confDirOf(argv))
  const prev = argv['prev-result'] ? await readPrevResult(argv['prev-result']) : undefined
  const notes: string[] = []
  const writes: SkippedWrite[] = []
  let reads: Host
  let inspectNetns: ExecutorDeps['inspectNetns']
  if (useFake && prev) {
    const world = await worldFromResult(prev, rt.netns)
    reads = world.host
    inspectNetns = async (p) => ((await world.host.netns.exists(p)) ? undefined : `${JSON.stringify(p)} is not a network namespace of the fake host`)
    notes.push('host: not root, so reads come from the semantic fake host built from --prev-result')
  } else {
    reads = createRealHost()
    inspectNetns = netnsProblem
  }
  const host = dryRunHost(reads, writes)
  // with --prev-result, DEL and CHECK find it as the cached result
  let files: FileHost
  if (prev) {
    const mem = memFiles()
    if (verb !== 'ADD') {
      await writeCache(mem, rt.cacheDir, { networkName: list.name, containerId: rt.containerId, ifName: rt.ifname, config: list.bytes, netns: rt.netns, cniArgs: rt.args, capabilityArgs: rt.capabilityArgs, result: prev })
    }
    files = cacheFiles(mem, notes)
  } else {
    files = cacheFiles(createRealHost().files, notes)
  }
  const log: PlanLog = { plans: [] }
  const external = externalStandIn(prev, notes)
  const deps: ExecutorDeps = {
    runner: combinedRunner(recordingResolver(log, external), () => host, external),
    files,
    warn: (text) => void notes.push(text.trim()),
    inspectNetns,
  }
  const report: DryRunReport = { dryRun: verb, network: list.name, plans: log.plans, notes }
  try {
    if (verb === 'ADD') report.result = await addList(list, rt, deps)
    else if (verb === 'DEL') await delList(list, rt, deps)
    else await checkList(list, rt, deps)
  } catch (err) {
    report.error = asCniError(err).toJSON()
  }
  return { ...report, plans: log.plans }
}

/**
 * dryRun prints the report of a dry run; a verb that failed still exits 1 with its error. `rt`:
 * the command's runtime args (checked before anything is read).
 */
export const dryRun = async (verb: DryRunReport['dryRun'], argv: AttachmentOptions & DryRunOptions, rt: RuntimeArgs = runtimeArgsOf(argv)): Promise<void> => {
  const report = await dryRunReport(verb, argv, rt, process.getuid?.() !== 0)
  const { dryRun: verbDone, network, plans, result, error, notes } = report
  process.stdout.write(formatJson({ dryRun: verbDone, network, plans, ...(result ? { result } : {}), ...(error ? { error } : {}), notes }))
  if (error) throw new CniError(error.code, error.msg, error.details)
}
