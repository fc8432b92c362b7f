// A JSON parser that keeps where every value sits in the text (start/end offsets), so edits can
// splice the file instead of re-serializing it: everything outside the edited span, including
// vendor keys, key order, spacing and numbers too large for a double, stays byte for byte.
// Strict RFC 8259 JSON, as Go's encoding/json reads it (no comments, no trailing commas, no BOM).

export interface ObjectEntry {
  key: string
  keyStart: number
  keyEnd: number
  value: JsonNode
}

export type JsonNode =
  | { kind: 'object'; start: number; end: number; entries: ObjectEntry[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string' | 'number' | 'literal'; start: number; end: number }

export type ObjectNode = Extract<JsonNode, { kind: 'object' }>
export type ArrayNode = Extract<JsonNode, { kind: 'array' }>

/** JsonSyntaxError: where the text stops being JSON (offset, 1-based line/column, JSON path). */
export class JsonSyntaxError extends Error {
  readonly offset: number
  readonly line: number
  readonly column: number
  readonly path: string

  constructor(text: string, offset: number, what: string, path: string) {
    const { line, column } = lineColumn(text, offset)
    super(`${what} at line ${line} column ${column}`)
    this.name = 'JsonSyntaxError'
    this.offset = offset
    this.line = line
    this.column = column
    this.path = path
  }
}

/** lineColumn converts an offset into a 1-based line and column. */
export const lineColumn = (text: string, offset: number): { line: number; column: number } => {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** pathText renders path segments as a JSON path: $.plugins[0].type, $["cni.dev/x"]. */
export const pathText = (segments: readonly (string | number)[]): string =>
  '$' + segments.map((s) => (typeof s === 'number' ? `[${s}]` : IDENT.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('')

/** Deepest nesting parsed (the walks after parsing recurse; real conflists nest < 10 levels). */
export const MAX_DEPTH = 256

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const STRING_CHARS = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y

/** parseJsonText parses `text` into a span tree; throws JsonSyntaxError naming line, column and path. */
export const parseJsonText = (text: string): JsonNode => {
  let pos = 0
  const path: (string | number)[] = []
  const fail = (what: string, at = pos): never => {
    throw new JsonSyntaxError(text, at, what, pathText(path))
  }
  const describe = (at: number): string =>
    at >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[at])}`
  const ws = (): void => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos++
  }
  const expect = (ch: string): void => {
    if (text[pos] !== ch) fail(`${describe(pos)} (expected ${JSON.stringify(ch)})`)
    pos++
  }
  const string = (): { start: number; end: number } => {
    const start = pos
    expect('"')
    STRING_CHARS.lastIndex = pos
    STRING_CHARS.exec(text)
    pos = STRING_CHARS.lastIndex
    if (text[pos] !== '"') fail(pos >= text.length ? 'unterminated string' : `invalid character ${JSON.stringify(text[pos])} in string`)
    pos++
    return { start, end: pos }
  }
  const value = (): JsonNode => {
    ws()
    const start = pos
    const ch = text[pos]
    if ((ch === '{' || ch === '[') && path.length >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`)
    if (ch === '{') {
      pos++
      const entries: ObjectEntry[] = []
      ws()
      if (text[pos] === '}') {
        pos++
        return { kind: 'object', start, end: pos, entries }
      }
      for (;;) {
        ws()
        if (text[pos] !== '"') fail(`${describe(pos)} (expected a key string)`)
        const k = string()
        const key = JSON.parse(text.slice(k.start, k.end)) as string
        ws()
        expect(':')
        path.push(key)
        entries.push({ key, keyStart: k.start, keyEnd: k.end, value: value() })
        path.pop()
        ws()
        if (text[pos] === ',') {
          pos++
          continue
        }
        expect('}')
        return { kind: 'object', start, end: pos, entries }
      }
    }
    if (ch === '[') {
      pos++
      const items: JsonNode[] = []
      ws()
      if (text[pos] === ']') {
        pos++
        return { kind: 'array', start, end: pos, items }
      }
      for (;;) {
        path.push(items.length)
        items.push(value())
        path.pop()
        ws()
        if (text[pos] === ',') {
          pos++
          continue
        }
        expect(']')
        return { kind: 'array', start, end: pos, items }
      }
    }
    if (ch === '"') return { kind: 'string', ...string() }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, pos)) {
        pos += lit.length
        return { kind: 'literal', start, end: pos }
      }
    }
    NUMBER.lastIndex = pos
    const m = NUMBER.exec(text)
    if (m && m[0] !== '' && m[0] !== '-') {
      pos = NUMBER.lastIndex
      return { kind: 'number', start, end: pos }
    }
    return fail(`${describe(pos)} (expected a value)`)
  }
  if (text.charCodeAt(0) === 0xfeff) fail('a byte order mark is not allowed (Go refuses it)', 0)
  const root = value()
  ws()
  if (pos < text.length) fail(`${describe(pos)} after the end of the value`)
  return root
}

/** entryOf returns the LAST entry named key (Go and JSON.parse keep the last duplicate). */
export const entryOf = (node: ObjectNode, key: string): ObjectEntry | undefined => {
  for (let i = node.entries.length - 1; i >= 0; i--) if (node.entries[i]?.key === key) return node.entries[i]
  return undefined
}

/** valueOf decodes a node's text (JSON.parse: numbers beyond 2^53 lose precision here, not in edits). */
export const valueOf = (text: string, node: JsonNode): unknown => JSON.parse(text.slice(node.start, node.end))

/**
 * canonicalText is a node's value with keys sorted (last duplicate wins) and scalars in one
 * spelling, so two configs compare equal when they mean the same thing. Integers too large for a
 * double keep their source spelling.
 */
export const canonicalText = (text: string, node: JsonNode): string => {
  if (node.kind === 'object') {
    const last = new Map<string, JsonNode>()
    for (const e of node.entries) last.set(e.key, e.value)
    const keys = [...last.keys()].sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalText(text, last.get(k) as JsonNode)}`).join(',')}}`
  }
  if (node.kind === 'array') return `[${node.items.map((i) => canonicalText(text, i)).join(',')}]`
  const src = text.slice(node.start, node.end)
  if (node.kind === 'number' && /^-?[0-9]+$/.test(src) && !Number.isSafeInteger(Number(src))) return src
  return JSON.stringify(JSON.parse(src))
}
