// A file's formatting (indent unit, line ending, key/value separator) detected from its text, and
// new JSON written in that style, so inserted plugins look like the ones already there.
import type { JsonNode } from './json-text.js'

export interface TextStyle {
  /** one indent level ('\t', '  ', '    ', ...); undefined when the file is a single line */
  indent: string | undefined
  eol: '\n' | '\r\n'
  /** what sits between a key and its value, e.g. ': ' or ':' */
  colon: string
}

/** detectStyle reads the style of `text` (its first indented line, its first key/value pair). */
export const detectStyle = (text: string, root: JsonNode): TextStyle => {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const inner = text.slice(root.start, root.end)
  let indent: string | undefined
  if (inner.includes('\n')) {
    const m = /\n([ \t]+)[^\s]/.exec(inner)
    indent = !m ? '' : m[1]!.startsWith('\t') ? '\t' : ' '.repeat(m[1]!.length)
  }
  let colon = ': '
  if (root.kind === 'object' && root.entries[0]) {
    const between = text.slice(root.entries[0].keyEnd, root.entries[0].value.start)
    if (!between.includes('\n')) colon = between
  }
  return { indent, eol, colon }
}

/**
 * formatNode writes the value at `node` of `src` in `style`; `base` is the indentation of the
 * line the value starts on. Scalars and keys are copied verbatim from src.
 */
export const formatNode = (src: string, node: JsonNode, style: TextStyle, base: string): string => {
  if (node.kind !== 'object' && node.kind !== 'array') return src.slice(node.start, node.end)
  const [open, close] = node.kind === 'object' ? ['{', '}'] : ['[', ']']
  const inner = base + (style.indent ?? '')
  const parts = node.kind === 'object'
    ? node.entries.map((e) => `${src.slice(e.keyStart, e.keyEnd)}${style.colon}${formatNode(src, e.value, style, inner)}`)
    : node.items.map((i) => formatNode(src, i, style, inner))
  if (parts.length === 0) return open + close
  if (style.indent === undefined) return `${open}${parts.join(',')}${close}`
  return `${open}${style.eol}${parts.map((p) => inner + p).join(`,${style.eol}`)}${style.eol}${base}${close}`
}

/** lineIndent returns the whitespace that starts the line holding `offset`. */
export const lineIndent = (text: string, offset: number): string => {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0]
}

/** startsLine tells whether only whitespace precedes `offset` on its line. */
export const startsLine = (text: string, offset: number): boolean => {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1
  return lineStart > 0 && /^[ \t]*$/.test(text.slice(lineStart, offset))
}

/** reindent prefixes every line of `block` after the first with `prefix` (JSON has no raw newline inside strings). */
export const reindent = (block: string, prefix: string): string => block.replace(/\n/g, `\n${prefix}`)
