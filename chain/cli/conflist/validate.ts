// `conflist validate`, pure: a file's text → every problem with its JSON path. Three levels:
// the text is JSON (line, column and path of the first error), the structure is a conflist (the
// project's conflist/netconf schemas, all errors), and each cni-chain plugin's config passes that
// plugin's own parser. A single-plugin .conf is checked as the list libcni would wrap it into.
import type { ErrorObject } from 'ajv'
import { CniError } from '../../../src/cni/errors.js'
import { isObject } from '../../../src/cni/keys.js'
import type { JsonObject, PluginConf } from '../../../src/cni/types.js'
import { validateConflist } from '../../../src/generated/validators.js'
import { buildPluginConf } from '../../build-conf.js'
import { selectVersion } from '../../conf-load.js'
import { entryOf, JsonSyntaxError, parseJsonText, pathText, type JsonNode } from './json-text.js'
import { checkOurPlugin, isOurType } from './plugin-checks.js'

export interface Problem {
  /** JSON path, e.g. $.plugins[1].mtu */
  path: string
  message: string
}

type Segment = string | number

const pointerSegments = (pointer: string): Segment[] =>
  pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))

const extra = (e: ErrorObject): string => {
  const p = e.params as Record<string, unknown>
  if (e.keyword === 'additionalProperties') return ` (${JSON.stringify(p.additionalProperty)})`
  if (e.keyword === 'enum') return ` (${JSON.stringify(p.allowedValues)})`
  return ''
}

// ajv's errors as problems: `if` and the branches of an `anyOf` are noise next to their summary
const schemaProblems = (errors: ErrorObject[], at: (segments: Segment[]) => Segment[]): Problem[] => {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf')
  const kept = errors.filter((e) => e.keyword !== 'if' && !anyOfs.some((a) => a !== e && a.instancePath === e.instancePath && e.schemaPath.startsWith(`${a.schemaPath}/`)))
  const seen = new Set<string>()
  const out: Problem[] = []
  for (const e of kept) {
    const segments = pointerSegments(e.instancePath)
    let message = `${e.message ?? 'is invalid'}${extra(e)}`
    if (e.keyword === 'required') {
      segments.push((e.params as { missingProperty: string }).missingProperty)
      message = 'is required'
    }
    if (e.keyword === 'anyOf') message = 'must be a boolean, or the string "true" or "false"'
    const p = { path: pathText(at(segments)), message }
    const key = `${p.path}\0${p.message}`
    if (!seen.has(key)) out.push(p)
    seen.add(key)
  }
  return out
}

// the span of element `i` of the array at `key` in an object node
const itemNode = (node: JsonNode | undefined, key: string, i: number): JsonNode | undefined => {
  if (node?.kind !== 'object') return undefined
  const arr = entryOf(node, key)?.value
  return arr?.kind === 'array' ? arr.items[i] : undefined
}

/**
 * checkPlugins runs our parsers over `plugins` (in the list, or inside a `chain` plugin). `spanOf`
 * gives each element's text (for duplicate-key checks), `at` its path segments.
 */
const checkPlugins = (text: string, plugins: unknown[], nodes: (JsonNode | undefined)[], list: { name: string; cniVersion: string },
  at: (i: number) => Segment[]): Problem[] => {
  const out: Problem[] = []
  plugins.forEach((p, i) => {
    if (!isObject(p) || typeof p.type !== 'string' || !isOurType(p.type)) return
    const node = nodes[i]
    const stdin = node ? text.slice(node.start, node.end) : JSON.stringify(p)
    const conf = buildPluginConf(p, list) as PluginConf
    for (const pr of checkOurPlugin(p.type, conf, stdin)) {
      out.push({ path: pathText([...at(i), ...pointerSegments(pr.pointer)]), message: pr.message })
    }
    if (p.type !== 'chain') return
    const subs = p.plugins
    if (!Array.isArray(subs) || subs.length === 0) {
      out.push({ path: pathText([...at(i), 'plugins']), message: 'chain: must be a non-empty array of plugin configs' })
      return
    }
    subs.forEach((s, j) => {
      if (!isObject(s) || typeof s.type !== 'string' || s.type === '' || /[/\\]/.test(s.type)) {
        out.push({ path: pathText([...at(i), 'plugins', j]), message: 'chain: must be an object with a plugin "type" (a file name)' })
      }
    })
    out.push(...checkPlugins(text, subs, subs.map((_, j) => itemNode(node, 'plugins', j)), list, (j) => [...at(i), 'plugins', j]))
  })
  return out
}

/** validateText returns every problem of one file's text; [] when it is a valid conflist (or .conf). */
export const validateText = (text: string): Problem[] => {
  let root: JsonNode
  try {
    root = parseJsonText(text)
  } catch (err) {
    if (err instanceof JsonSyntaxError) return [{ path: err.path, message: `not JSON: ${err.message}` }]
    throw err
  }
  const value = JSON.parse(text) as unknown
  if (!isObject(value)) return [{ path: '$', message: 'not a conflist: the top level is not a JSON object' }]
  // a .conf: checked as the one-plugin list libcni wraps it into; its problems are at $, not $.plugins[0]
  const isConf = !('plugins' in value) && 'type' in value
  const list: JsonObject = isConf ? { cniVersion: value.cniVersion ?? '', name: value.name, plugins: [value] } : value
  const fromList = (s: Segment[]): Segment[] => (isConf && s[0] === 'plugins' && s[1] === 0 ? s.slice(2) : s)
  if (!validateConflist(list)) return schemaProblems(validateConflist.errors ?? [], fromList)
  let cniVersion: string
  try {
    cniVersion = selectVersion((list.cniVersion as string | undefined) ?? '', list.cniVersions)
  } catch (err) {
    if (err instanceof CniError) return [{ path: '$.cniVersions', message: err.details ?? err.message }]
    throw err
  }
  const plugins = (list.plugins as unknown[] | undefined) ?? []
  const nodes = isConf ? [root] : plugins.map((_, i) => itemNode(root, 'plugins', i))
  return checkPlugins(text, plugins, nodes, { name: list.name as string, cniVersion }, (i) => (isConf ? [] : ['plugins', i]))
}
