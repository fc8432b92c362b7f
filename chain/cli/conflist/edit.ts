// Pure conflist edits on text: append (or replace in place), remove, and .conf → .conflist.
// Each edit splices the plugins array and leaves every other byte as it was; new plugins are
// written in the file's own style (indent, line ending, key/value separator). Every result is
// parsed again before it is returned, so a bug here cannot produce a broken file.
import { canonicalText, entryOf, type ObjectNode } from './json-text.js'
import { ConflistError, parseText, readConflistDoc, type ConflistDoc, type PluginArg } from './document.js'
import { detectStyle, formatNode, lineIndent, reindent, startsLine } from './text-style.js'

export type AppendAction = 'unchanged' | 'appended' | 'replaced' | 'kept'

export interface AppendOptions {
  /** insert after the last plugin of this type */
  after?: string
  /** insert before the first plugin of this type */
  before?: string
  /**
   * what to do when a plugin of the same type has other settings: replace it in place, refuse
   * (--no-replace), or keep it and change nothing (install: "types already present are left alone")
   */
  onDifferent: 'replace' | 'refuse' | 'keep'
}

export interface EditResult<A> {
  text: string
  action: A
}

const splice = (text: string, start: number, end: number, insert: string): string => text.slice(0, start) + insert + text.slice(end)

// the new plugin written for a slot whose line starts with `base` (undefined: on one line)
const formatted = (doc: ConflistDoc, plugin: PluginArg, base: string | undefined): string =>
  formatNode(plugin.text, plugin.node, { ...doc.style, indent: base === undefined ? undefined : doc.style.indent }, base ?? '')

/** sameSettings tells whether a plugin in the file means the same as `plugin` (key order ignored). */
export const sameSettings = (doc: ConflistDoc, node: ObjectNode, plugin: PluginArg): boolean =>
  canonicalText(doc.text, node) === canonicalText(plugin.text, plugin.node)

// inserts the plugin so that it becomes element `k` of the plugins array
const insertAt = (doc: ConflistDoc, k: number, plugin: PluginArg): string => {
  const { text, plugins, style } = doc
  const items = plugins.items
  if (items.length === 0) {
    if (style.indent === undefined) return splice(text, plugins.start + 1, plugins.end - 1, formatted(doc, plugin, undefined))
    const outer = lineIndent(text, plugins.start)
    const base = outer + style.indent
    return splice(text, plugins.start + 1, plugins.end - 1, `${style.eol}${base}${formatted(doc, plugin, base)}${style.eol}${outer}`)
  }
  // reuse the separator the file already has between elements (or after '[')
  const sep = items.length > 1 ? text.slice(items[0]!.end, items[1]!.start) : `,${text.slice(plugins.start + 1, items[0]!.start)}`
  const base = sep.includes('\n') ? sep.slice(sep.lastIndexOf('\n') + 1) : undefined
  if (k >= items.length) return splice(text, items.at(-1)!.end, items.at(-1)!.end, sep + formatted(doc, plugin, base))
  return splice(text, items[k]!.start, items[k]!.start, formatted(doc, plugin, base) + sep)
}

/**
 * appendPlugin adds `plugin` to the list (at the end, or next to --after/--before TYPE). A plugin
 * of the same type already there with the same settings leaves the text unchanged; with other
 * settings it is replaced in place, refused, or kept (opts.onDifferent).
 */
export const appendPlugin = (doc: ConflistDoc, plugin: PluginArg, opts: AppendOptions, source = 'conflist'): EditResult<AppendAction> => {
  const existing = doc.entries.find((e) => e.type === plugin.type)
  if (existing) {
    if (sameSettings(doc, existing.node, plugin)) return { text: doc.text, action: 'unchanged' }
    if (opts.onDifferent === 'keep') return { text: doc.text, action: 'kept' }
    if (opts.onDifferent === 'refuse') {
      throw new ConflistError(`${source}: $.plugins[${existing.index}] is a ${plugin.type} plugin with other settings (--no-replace: not replaced)`)
    }
    const { start, end } = existing.node
    const base = startsLine(doc.text, start) ? lineIndent(doc.text, start) : undefined
    return { text: checked(splice(doc.text, start, end, formatted(doc, plugin, base)), source), action: 'replaced' }
  }
  let k = doc.entries.length
  if (opts.after !== undefined) {
    const last = doc.entries.filter((e) => e.type === opts.after).at(-1)
    if (!last) throw new ConflistError(`${source}: --after ${opts.after}: no ${opts.after} plugin in the list`)
    k = last.index + 1
  } else if (opts.before !== undefined) {
    const first = doc.entries.find((e) => e.type === opts.before)
    if (!first) throw new ConflistError(`${source}: --before ${opts.before}: no ${opts.before} plugin in the list`)
    k = first.index
  }
  return { text: checked(insertAt(doc, k, plugin), source), action: 'appended' }
}

/**
 * removePlugins removes every plugin of `type`; a list that would be left empty is refused.
 * `matches` (optional) narrows the removal to some of them (uninstall: only what install added).
 */
export const removePlugins = (doc: ConflistDoc, type: string, source = 'conflist',
  matches: (node: ObjectNode, doc: ConflistDoc) => boolean = () => true): EditResult<number> => {
  let current = doc
  let removed = 0
  for (;;) {
    const victim = current.entries.find((e) => e.type === type && matches(e.node, current))
    if (!victim) return { text: current.text, action: removed }
    const items = current.plugins.items
    if (items.length === 1) throw new ConflistError(`${source}: removing ${type} would leave the list without plugins`)
    const i = victim.index
    // drop the element with the separator before it (or, for the first one, the one after it)
    const text = i > 0 ? splice(current.text, items[i - 1]!.end, items[i]!.end, '') : splice(current.text, items[0]!.start, items[1]!.start, '')
    current = readConflistDoc(checked(text, source), source)
    removed++
  }
}

/**
 * convertConf turns a single-plugin .conf into a .conflist as libcni's ConfListFromConf does:
 * {cniVersion, name, plugins: [the whole conf]}; the conf is kept verbatim (re-indented).
 */
export const convertConf = (text: string, source: string): string => {
  const root = parseText(text, source)
  if (root.kind !== 'object') throw new ConflistError(`${source}: not a network config: the top level is not a JSON object`)
  if (entryOf(root, 'plugins')) throw new ConflistError(`${source}: already a conflist (it has "plugins")`)
  const type = entryOf(root, 'type')
  if (!type || type.value.kind !== 'string') throw new ConflistError(`${source}: not a network config: no "type"`)
  const name = entryOf(root, 'name')
  if (!name || name.value.kind !== 'string') throw new ConflistError(`${source}: no "name": a conflist needs one`)
  const version = entryOf(root, 'cniVersion')
  const style = detectStyle(text, root)
  const src = (n: { start: number; end: number }): string => text.slice(n.start, n.end)
  const fields = [...(version ? [['"cniVersion"', src(version.value)]] : []), ['"name"', src(name.value)]]
  const conf = src(root)
  let out: string
  if (style.indent === undefined) {
    out = `{${fields.map(([k, v]) => `${k}${style.colon}${v}`).join(',')},"plugins"${style.colon}[${conf}]}`
  } else {
    const u = style.indent
    const { eol } = style
    out = `{${eol}${fields.map(([k, v]) => `${u}${k}${style.colon}${v},${eol}`).join('')}` +
      `${u}"plugins"${style.colon}[${eol}${u}${u}${reindent(conf, u + u)}${eol}${u}]${eol}}`
  }
  return checked(text.slice(0, root.start) + out + text.slice(root.end), source)
}

// the safety net: an edit must leave a conflist
const checked = (text: string, source: string): string => {
  readConflistDoc(text, `${source} (after the edit)`)
  JSON.parse(text)
  return text
}
