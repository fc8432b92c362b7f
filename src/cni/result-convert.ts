// PLACEHOLDER (being written by the core helper): result version conversion, cni-spec.md §4.3.
import type { JsonObject, Result } from './types.js'

/** toCurrentResult parses a result of any version (0.1.0-1.1.0) into the 1.x shape. */
export const toCurrentResult = (json: unknown): Result => json as Result

/** convertResult renders a result as `toVersion` JSON (0.1.0-1.1.0); throws when impossible. */
export const convertResult = (result: Result, toVersion: string): JsonObject =>
  ({ ...result, cniVersion: toVersion }) as unknown as JsonObject
