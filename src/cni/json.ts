// Parsing JSON from outside (stdin, conflists, capability args, plugin output, cache files) with a
// bound on nesting. JSON.parse itself takes any depth, but the recursive walks after it do not
// (JSON.stringify, structuredClone, schema validators, result conversion): 100,000 nested arrays
// parse fine and then end in "Maximum call stack size exceeded" (code 999). Real CNI documents
// nest fewer than 10 levels; Go's encoding/json stops at 10,000, which Node's stack cannot walk.

/** MAX_JSON_DEPTH: deepest nesting accepted (objects and arrays count one level each). */
export const MAX_JSON_DEPTH = 256

/** JsonDepthError: the document nests deeper than MAX_JSON_DEPTH. */
export class JsonDepthError extends Error {
  constructor(limit: number) {
    super(`JSON nested deeper than ${limit} levels`)
    this.name = 'JsonDepthError'
  }
}

/** jsonDepthExceeds tells whether a parsed value nests deeper than `limit` (iterative: no recursion). */
export const jsonDepthExceeds = (value: unknown, limit: number = MAX_JSON_DEPTH): boolean => {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number]
    if (typeof v !== 'object' || v === null) continue
    if (depth + 1 > limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

/**
 * parseJson is JSON.parse plus the depth bound: it throws SyntaxError for bad JSON and
 * JsonDepthError for a document nested deeper than `limit`. Callers turn both into code 6.
 */
export const parseJson = (text: string, limit: number = MAX_JSON_DEPTH): unknown => {
  const value: unknown = JSON.parse(text)
  if (jsonDepthExceeds(value, limit)) throw new JsonDepthError(limit)
  return value
}
