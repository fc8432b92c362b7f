// A conflist file as text plus the spans of its parts (root, plugins array, each plugin), checked
// enough to be edited safely; and the `--plugin JSON` argument parsed the same way. Anything that
// is not a conflist is refused here, before any file is written.
import { assertNetConf } from '../../../src/cni/schemas.js'
import { CniError } from '../../../src/cni/errors.js'
import { entryOf, JsonSyntaxError, parseJsonText, valueOf, type ArrayNode, type JsonNode, type ObjectNode } from './json-text.js'
import { detectStyle, type TextStyle } from './text-style.js'

/** ConflistError: the input was refused; nothing was written. */
export class ConflistError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConflistError'
  }
}

export interface PluginEntry {
  index: number
  type: string
  node: ObjectNode
}

export interface ConflistDoc {
  text: string
  root: ObjectNode
  plugins: ArrayNode
  entries: PluginEntry[]
  style: TextStyle
}

/** A plugin object given on the command line, with its own text (numbers kept verbatim). */
export interface PluginArg {
  text: string
  node: ObjectNode
  type: string
}

/** parseText parses JSON or throws a ConflistError naming the line, column and JSON path. */
export const parseText = (text: string, source: string): JsonNode => {
  try {
    return parseJsonText(text)
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new ConflistError(`${source}: not JSON: ${err.message} (at ${err.path})`)
    throw err
  }
}

const typeOf = (text: string, node: ObjectNode): string | undefined => {
  const t = entryOf(node, 'type')
  if (!t || t.value.kind !== 'string') return undefined
  const v = valueOf(text, t.value) as string
  return v === '' ? undefined : v
}

/** checkType refuses plugin types a runtime could not look up (empty, path separators). */
export const checkType = (type: string, where: string): void => {
  if (/[/\\]/.test(type) || type === '.' || type === '..' || /[\s\0]/.test(type)) {
    throw new ConflistError(`${where}: plugin type ${JSON.stringify(type)} is not a file name`)
  }
}

/** readConflistDoc parses a conflist's text; source names it in errors. */
export const readConflistDoc = (text: string, source: string): ConflistDoc => {
  const root = parseText(text, source)
  if (root.kind !== 'object') throw new ConflistError(`${source}: not a conflist: the top level is not a JSON object`)
  const plugins = entryOf(root, 'plugins')
  if (!plugins) {
    if (entryOf(root, 'type')) {
      throw new ConflistError(`${source}: a single-plugin config (.conf), not a conflist: convert it first (cni-chain conflist convert)`)
    }
    throw new ConflistError(`${source}: not a conflist: no "plugins" array`)
  }
  if (plugins.value.kind !== 'array') throw new ConflistError(`${source}: not a conflist: $.plugins is not an array`)
  const entries = plugins.value.items.map((node, index): PluginEntry => {
    if (node.kind !== 'object') throw new ConflistError(`${source}: $.plugins[${index}] is not a JSON object`)
    const type = typeOf(text, node)
    if (type === undefined) throw new ConflistError(`${source}: $.plugins[${index}] has no "type" (a non-empty string)`)
    checkType(type, `${source}: $.plugins[${index}]`)
    return { index, type, node }
  })
  return { text, root, plugins: plugins.value, entries, style: detectStyle(text, root) }
}

/** parsePluginArg parses a --plugin value: a JSON object with a "type", a valid plugin config. */
export const parsePluginArg = (text: string): PluginArg => {
  const node = parseText(text, '--plugin')
  if (node.kind !== 'object') throw new ConflistError('--plugin: not a JSON object')
  const type = typeOf(text, node)
  if (type === undefined) throw new ConflistError('--plugin: no "type" (a non-empty string)')
  checkType(type, '--plugin')
  try {
    assertNetConf(valueOf(text, node))
  } catch (err) {
    if (err instanceof CniError) throw new ConflistError(`--plugin: ${err.message}`)
    throw err
  }
  return { text: text.slice(node.start, node.end), node: { ...shift(node, -node.start) } as ObjectNode, type }
}

// shift moves a span tree by `by` (so a trimmed argument's spans start at 0)
const shift = (node: JsonNode, by: number): JsonNode => {
  if (node.kind === 'object') {
    return { ...node, start: node.start + by, end: node.end + by, entries: node.entries.map((e) => ({ ...e, keyStart: e.keyStart + by, keyEnd: e.keyEnd + by, value: shift(e.value, by) })) }
  }
  if (node.kind === 'array') return { ...node, start: node.start + by, end: node.end + by, items: node.items.map((i) => shift(i, by)) }
  return { ...node, start: node.start + by, end: node.end + by }
}
