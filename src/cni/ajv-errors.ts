// One readable line from ajv's error list (precompiled validators have no errorsText()).
import type { ErrorObject } from 'ajv'

/** ajvErrorText renders errors as "<root>/path message; ..." (at most the first five). */
export const ajvErrorText = (errors: ErrorObject[] | null | undefined, root: string): string => {
  if (!errors || errors.length === 0) return `${root} is invalid`
  const lines = errors.slice(0, 5).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`
      : e.keyword === 'enum' ? ` (${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)})`
      : ''
    return `${root}${e.instancePath} ${e.message ?? 'is invalid'}${extra}`
  })
  return lines.join('; ') + (errors.length > 5 ? `; and ${errors.length - 5} more` : '')
}
