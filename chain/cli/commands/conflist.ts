// `cni-chain conflist append|remove|validate|convert|show`: safe edits of the conflists primary
// CNIs write (the editing itself is chain/cli/conflist/, pure; files are replaced atomically).
import { rm } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { Argv, CommandModule } from 'yargs'
import { loadConfFile } from '../../conf-load.js'
import { readConflistDoc, parsePluginArg, ConflistError } from '../conflist/document.js'
import { appendPlugin, convertConf, removePlugins } from '../conflist/edit.js'
import { editFile, readText } from '../conflist/file-edit.js'
import { renderTable, showRows } from '../conflist/show.js'
import { validateText } from '../conflist/validate.js'
import { existingFile, writeFileAtomic } from '../files/atomic.js'
import { InputError, requirePath, requireType } from '../files/inputs.js'

interface AppendOptions { file: string; plugin: string; after?: string; before?: string; replace: boolean }
interface RemoveOptions { file: string; type: string }
interface ValidateOptions { files: string[] }
interface ConvertOptions { file: string; output?: string; keep: boolean }
interface ShowOptions { file: string; 'bin-dir'?: string; json: boolean }

const out = (line: string): void => void process.stdout.write(`${line}\n`)

const fileArg = <T>(y: Argv<T>) => y.positional('file', { type: 'string', demandOption: true, describe: 'the conflist file' })

const append = async (argv: AppendOptions): Promise<void> => {
  const file = requirePath('file', argv.file)
  if (argv.after !== undefined && argv.before !== undefined) throw new InputError('--after and --before: give one of them')
  const after = argv.after === undefined ? undefined : requireType('after', argv.after)
  const before = argv.before === undefined ? undefined : requireType('before', argv.before)
  const plugin = parsePluginArg(argv.plugin)
  const r = await editFile(file, (text) =>
    appendPlugin(readConflistDoc(text, file), plugin, { after, before, onDifferent: argv.replace ? 'replace' : 'refuse' }, file))
  if (r.action === 'unchanged') out(`${file} unchanged: ${plugin.type} is already there with these settings`)
  else out(`${r.action === 'replaced' ? 'replaced' : 'appended'} ${plugin.type} in ${file}`)
}

const remove = async (argv: RemoveOptions): Promise<void> => {
  const file = requirePath('file', argv.file)
  const type = requireType('type', argv.type)
  const r = await editFile(file, (text) => removePlugins(readConflistDoc(text, file), type, file))
  out(r.action === 0 ? `${file} unchanged: no ${type} plugin in it` : `removed ${r.action} ${type} plugin${r.action > 1 ? 's' : ''} from ${file}`)
}

const validate = async (argv: ValidateOptions): Promise<void> => {
  let invalid = 0
  const files = argv.files.map((f) => requirePath('file', f))
  for (const file of files) {
    let problems
    try {
      problems = validateText((await readText(file)).text)
    } catch (err) {
      if (!(err instanceof ConflistError)) throw err
      problems = [{ path: '$', message: err.message.replace(`${file}: `, '') }]
    }
    if (problems.length === 0) out(`${file}: valid`)
    for (const p of problems) out(`${file}: ${p.path}: ${p.message}`)
    if (problems.length > 0) invalid++
  }
  if (invalid > 0) process.exitCode = 1
}

/** conflistPathOf: foo.conf / foo.json → foo.conflist (what a runtime reads as a list). */
export const conflistPathOf = (file: string): string => {
  const ext = extname(file)
  const stem = ['.conf', '.json', '.conflist'].includes(ext) ? basename(file, ext) : basename(file)
  return join(dirname(file), `${stem}.conflist`)
}

const convert = async (argv: ConvertOptions): Promise<void> => {
  const file = requirePath('file', argv.file)
  const output = argv.output === undefined ? conflistPathOf(file) : requirePath('output', argv.output)
  if (output === file) {
    await editFile(file, (text) => ({ text: convertConf(text, file) }))
    out(`converted ${file} in place`)
    return
  }
  const { text } = await readText(file)
  const converted = convertConf(text, file)
  const there = await existingFile(output).catch((err: Error) => {
    throw new ConflistError(err.message)
  })
  if (there) {
    const current = (await readText(output)).text
    if (current !== converted) throw new ConflistError(`${output} exists with other content: not overwritten (give --output)`)
  } else {
    const mode = (await existingFile(file))!.mode & 0o7777
    await writeFileAtomic(output, converted, { mode })
  }
  if (!argv.keep) await rm(file, { force: true })
  out(`converted ${file} to ${output}${argv.keep ? '' : ` (${file} removed)`}`)
}

const show = async (argv: ShowOptions): Promise<void> => {
  const file = requirePath('file', argv.file)
  const dirs = (argv['bin-dir'] ?? (process.env.CNI_PATH || '/opt/cni/bin')).split(':').filter((d) => d !== '')
  if (dirs.length === 0) throw new InputError('--bin-dir: at least one plugin directory is required')
  const list = await loadConfFile(file)
  const rows = await showRows(list.plugins, dirs)
  if (argv.json) out(JSON.stringify({ name: list.name, cniVersion: list.cniVersion, plugins: rows }))
  else process.stdout.write(`${list.name} (cniVersion ${list.cniVersion}) from ${file}\n${renderTable(rows, dirs)}`)
}

/** conflistCommand: the five subcommands. */
export const conflistCommand: CommandModule<object, object> = {
  command: 'conflist <command>',
  describe: 'append, remove, validate, convert or show the plugins of a conflist file',
  builder: (y) =>
    y
      .command<AppendOptions>({
        command: 'append <file>',
        describe: 'append a plugin (idempotent; the same type with other settings is replaced in place)',
        builder: (y) => fileArg(y)
          .option('plugin', { type: 'string', demandOption: true, describe: 'the plugin config as JSON, e.g. {"type":"bandwidth","capabilities":{"bandwidth":true}}' })
          .option('after', { type: 'string', describe: 'insert after the last plugin of this type' })
          .option('before', { type: 'string', describe: 'insert before the first plugin of this type' })
          .option('replace', { type: 'boolean', default: true, describe: 'replace a plugin of the same type with other settings (--no-replace: refuse)' }) as never,
        handler: append,
      })
      .command<RemoveOptions>({
        command: 'remove <file>',
        describe: 'remove every plugin of a type',
        builder: (y) => fileArg(y).option('type', { type: 'string', demandOption: true, describe: 'the plugin type' }) as never,
        handler: remove,
      })
      .command<ValidateOptions>({
        command: 'validate <files..>',
        describe: 'check JSON, the conflist schema and the config of each cni-chain plugin; exit 1 when a file is invalid',
        builder: (y) => y.positional('files', { type: 'string', array: true, demandOption: true, describe: 'conflist (or .conf) files' }) as never,
        handler: validate,
      })
      .command<ConvertOptions>({
        command: 'convert <file>',
        describe: 'turn a single-plugin .conf into a .conflist (libcni ConfListFromConf)',
        builder: (y) => fileArg(y)
          .option('output', { type: 'string', describe: 'where to write the list', defaultDescription: 'FILE with the extension .conflist' })
          .option('keep', { type: 'boolean', default: false, describe: 'keep the .conf (by default it is removed once the list is written)' }) as never,
        handler: convert,
      })
      .command<ShowOptions>({
        command: 'show <file>',
        describe: 'the chain as a table: order, type, capabilities, and the binary on CNI_PATH that serves it',
        builder: (y) => fileArg(y)
          .option('bin-dir', { type: 'string', describe: 'plugin directories, colon separated', defaultDescription: '$CNI_PATH or /opt/cni/bin' })
          .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
        handler: show,
      })
      .demandCommand(1, 'a conflist command is required'),
  handler: () => undefined,
}
