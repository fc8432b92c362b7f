// Case-insensitive key access: Go's encoding/json matches keys case-insensitively, and runtimes rely
// on it (containerd sends runtimeConfig as {"HostPort":...}). Plugins read input through these helpers.
import type { JsonObject } from './types.js'

/** isObject tells whether v is a plain JSON object. */
export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** getKey returns obj[key] matching the key case-insensitively; the last match wins, as in Go. */
export const getKey = (obj: JsonObject, key: string): unknown => {
  const lower = key.toLowerCase()
  let found: unknown
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) found = obj[k]
  return found
}

/**
 * normalizeKeys returns a copy of obj whose keys that match one of `canonical` case-insensitively
 * are renamed to the canonical spelling; other keys are kept as they are. Not recursive.
 */
export const normalizeKeys = (obj: JsonObject, canonical: readonly string[]): JsonObject => {
  const byLower = new Map(canonical.map((k) => [k.toLowerCase(), k]))
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(obj)) {
    const c = byLower.get(k.toLowerCase())
    if (c === undefined) out[k] = v
    else out[c] = v
  }
  return out
}

/** pickKeys copies the `keys` of obj in their canonical spelling (matched case-insensitively, last wins), dropping nulls. */
export const pickKeys = (obj: JsonObject, keys: readonly string[]): JsonObject => {
  const out: JsonObject = {}
  for (const k of keys) {
    const v = getKey(obj, k)
    if (v !== undefined && v !== null) out[k] = v
  }
  return out
}
