// `cni-chain fixtures run DIR|FILE... [--update]` and `cni-chain fixtures new --conflist F ...`:
// JSON chain fixtures (fixtures/README.md) run against the semantic fake host, no root needed.
import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { parseJson } from '../../../src/cni/json.js'
import { isObject } from '../../../src/cni/keys.js'
import type { JsonObject } from '../../../src/cni/types.js'
import { builtinMeta } from '../../builtins.js'
import { loadConfFile } from '../../conf-load.js'
import { checkFixtureText, fixtureFiles, type FileCheck } from '../../fixtures/check-file.js'
import { formatJson } from '../../fixtures/format.js'
import { recordFixture } from '../../fixtures/record-new.js'
import { FIXTURE_VERBS, type Fixture, type FixtureVerb } from '../../fixtures/types.js'
import { fixtureWorld } from '../../fixtures/world.js'
import { writeFileAtomic } from '../files/atomic.js'

interface RunOptions {
  paths: string[]
  update: boolean
}

interface NewOptions {
  conflist: string
  'container-id': string
  netns: string
  ifname: string
  'cap-args'?: string
  args?: string
  annotation?: string[]
  'delegate-result'?: string
  delegate?: string[]
  host?: string
  steps: string
  description?: string
  'relative-to'?: string
}

/** How many mismatch lines one fixture prints before "… N more". */
const MAX_LINES = 25

const out = (text: string): void => void process.stdout.write(text)

const printCheck = (c: FileCheck, verb: 'FAIL' | 'UPD '): void => {
  const label = c.status === 'ok' ? 'ok  ' : c.status === 'invalid' ? 'BAD ' : verb
  out(`${label} ${c.path}${c.status === 'ok' ? ` (${c.steps} step${c.steps === 1 ? '' : 's'})` : ''}\n`)
  const lines = c.status === 'invalid' ? c.problems : c.mismatches.map((m) => (verb === 'UPD ' ? m.change ?? m.text : m.text))
  for (const l of lines.slice(0, MAX_LINES)) out(`     ${l.replace(/\n/g, '\n     ')}\n`)
  if (lines.length > MAX_LINES) out(`     … and ${lines.length - MAX_LINES} more\n`)
}

const runFixtures = async (argv: RunOptions): Promise<void> => {
  const files = await fixtureFiles(argv.paths)
  if (files.length === 0) throw new Error(`no fixture files in ${argv.paths.join(' ')}`)
  let failed = 0
  let updated = 0
  for (const path of files) {
    const text = await readFile(path, 'utf8')
    const check = await checkFixtureText(path, text, fixtureWorld, argv.update)
    if (check.updatedText === undefined) {
      printCheck(check, 'FAIL')
      if (check.status !== 'ok') failed++
      continue
    }
    // --update: say what changed, write, then check the new text (claims like hostUnchanged are never rewritten)
    printCheck(check, 'UPD ')
    await writeFileAtomic(path, check.updatedText, { expect: Buffer.from(text) })
    updated++
    const again = await checkFixtureText(path, check.updatedText, fixtureWorld)
    if (again.status !== 'ok') {
      printCheck(again, 'FAIL')
      failed++
    }
  }
  const passed = files.length - failed
  out(`${files.length} fixture${files.length === 1 ? '' : 's'}: ${passed} passed, ${failed} failed${argv.update ? `, ${updated} updated` : ''}\n`)
  if (failed > 0) throw new Error(`${failed} of ${files.length} fixtures failed`)
}

const readJsonObject = async (path: string, what: string): Promise<JsonObject> => {
  const v = parseJson(await readFile(path, 'utf8'))
  if (!isObject(v)) throw new Error(`${what} ${path}: not a JSON object`)
  return v
}

/** annotationsOf parses repeated --annotation K=V. */
const annotationsOf = (specs: string[] | undefined): Record<string, string> | undefined => {
  if (!specs || specs.length === 0) return undefined
  return Object.fromEntries(specs.map((s) => {
    const i = s.indexOf('=')
    if (i <= 0) throw new Error(`--annotation ${JSON.stringify(s)}: expected KEY=VALUE`)
    return [s.slice(0, i), s.slice(i + 1)]
  }))
}

const stepsOf = (spec: string): FixtureVerb[] =>
  spec.split(',').filter((s) => s !== '').map((s) => {
    const v = s.trim().toUpperCase()
    if (!(FIXTURE_VERBS as readonly string[]).includes(v)) throw new Error(`--steps: ${JSON.stringify(s)} is not one of ${FIXTURE_VERBS.join(', ')}`)
    return v as FixtureVerb
  })

const newFixture = async (argv: NewOptions): Promise<void> => {
  const conflistFile = resolve(argv.conflist)
  const list = await loadConfFile(conflistFile)
  // the delegates: --delegate TYPE=FILE, and --delegate-result FILE for every external type of the list
  const delegates: Fixture['delegates'] = {}
  const externalTypes = [...new Set(list.plugins.map((p) => String(p.type)).filter((t) => t !== 'chain' && !builtinMeta(t)))]
  const subTypes = list.plugins.filter((p) => p.type === 'chain' && Array.isArray(p.plugins)).flatMap((p) => (p.plugins as JsonObject[]).map((s) => String(s.type)))
  for (const t of subTypes) if (!builtinMeta(t) && !externalTypes.includes(t)) externalTypes.push(t)
  if (argv['delegate-result']) {
    const result = await readJsonObject(argv['delegate-result'], '--delegate-result')
    for (const t of externalTypes) delegates[t] = { result }
  }
  for (const spec of argv.delegate ?? []) {
    const i = spec.indexOf('=')
    if (i <= 0) throw new Error(`--delegate ${JSON.stringify(spec)}: expected TYPE=RESULT_FILE`)
    delegates[spec.slice(0, i)] = { result: await readJsonObject(spec.slice(i + 1), '--delegate') }
  }
  const missing = externalTypes.filter((t) => !delegates[t])
  if (missing.length > 0) throw new Error(`the conflist runs ${missing.map((t) => JSON.stringify(t)).join(', ')}: give its ADD result with --delegate-result FILE (or --delegate TYPE=FILE)`)
  const annotations = annotationsOf(argv.annotation)
  const capArgs = argv['cap-args'] ? parseJson(argv['cap-args']) : undefined
  if (capArgs !== undefined && !isObject(capArgs)) throw new Error('--cap-args: must be a JSON object')
  // inline by default (the fixture runs anywhere); with --relative-to DIR the conflist's path from DIR
  const conflist: Fixture['conflist'] = argv['relative-to']
    ? relative(resolve(argv['relative-to']), conflistFile)
    : (parseJson(list.bytes.toString('utf8')) as JsonObject)
  const fixture: Fixture = {
    description: argv.description ?? `${list.name}: ${argv.steps}`,
    conflist,
    runtime: {
      containerId: argv['container-id'],
      netns: argv.netns,
      ifname: argv.ifname,
      ...(capArgs ? { capabilityArgs: capArgs } : {}),
      ...(argv.args ? { cniArgs: argv.args } : {}),
      ...(annotations ? { annotations } : {}),
    },
    ...(Object.keys(delegates).length > 0 ? { delegates } : {}),
    ...(argv.host ? { host: await readJsonObject(argv.host, '--host') } : {}),
    steps: stepsOf(argv.steps).map((verb) => ({ verb, expect: {} })),
  }
  // relative conflist paths resolve from where the fixture will live
  const where = argv['relative-to'] ? resolve(argv['relative-to'], 'new-fixture.json') : resolve(dirname(conflistFile), 'new-fixture.json')
  out(formatJson(await recordFixture(fixture, where, fixtureWorld)))
}

const runBuilder = (y: Argv) =>
  y
    .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'fixture files, or directories of them (every *.json below)' })
    .option('update', { type: 'boolean', default: false, describe: 'rewrite the expectations of failing fixtures from what they now do (prints each change)' })

const newBuilder = (y: Argv) =>
  y
    .option('conflist', { type: 'string', demandOption: true, describe: 'the conflist to run' })
    .option('container-id', { type: 'string', default: 'ctr1', describe: 'container id' })
    .option('netns', { type: 'string', default: '/run/netns/pod1', describe: 'network namespace path (in the fake host)' })
    .option('ifname', { type: 'string', default: 'eth0', describe: 'interface name in the namespace' })
    .option('cap-args', { type: 'string', describe: 'capability args as a JSON object, e.g. {"portMappings":[...]}' })
    .option('args', { type: 'string', describe: "CNI_ARGS pairs 'K=V;K=V'" })
    .option('annotation', { type: 'string', array: true, describe: 'a pod annotation KEY=VALUE (repeatable), sent as io.kubernetes.cri.pod-annotations' })
    .option('delegate-result', { type: 'string', describe: 'the ADD result of the interface plugin(s) the list delegates to (a JSON file)' })
    .option('delegate', { type: 'string', array: true, describe: 'TYPE=FILE: the ADD result of one external plugin type (repeatable)' })
    .option('host', { type: 'string', describe: 'the host before the first step (a JSON file in the fake\'s seed format)' })
    .option('steps', { type: 'string', default: 'ADD,CHECK,DEL', describe: 'the verbs to run in order, comma separated' })
    .option('description', { type: 'string', describe: 'what the case is about' })
    .option('relative-to', { type: 'string', describe: 'reference the conflist by its path relative to this directory instead of inlining it' })

/** fixturesCommand: `fixtures run` and `fixtures new`. */
export const fixturesCommand: CommandModule<object, object> = {
  command: 'fixtures <command>',
  describe: 'run JSON chain fixtures against the semantic fake host, or record a new one',
  builder: (y) =>
    y
      .command<RunOptions>({
        command: 'run <paths..>',
        describe: 'run fixtures: one line each, a summary, exit 1 on any mismatch (with a diff by JSON path)',
        builder: runBuilder as never,
        handler: runFixtures,
      })
      .command<NewOptions>({
        command: 'new',
        describe: 'run a case against the fake host and print a fixture recording what it did (review it before keeping it)',
        builder: newBuilder as never,
        handler: newFixture,
      })
      .demandCommand(1, 'fixtures: run or new'),
  handler: () => undefined,
}
