// The one GC rule every meta plugin follows (spec 1.1.0 "Garbage collection"): the runtime passes
// the attachments that are still valid in `cni.dev/valid-attachments` (the spec text also spells it
// `cni.dev/attachments`; both are read). libcni omits the key when its caller passed no GC args, so
// a GC without it removes nothing — removing everything would be the wrong guess — and says so on
// stderr; an empty list means that no attachment of this network is valid.
import { invalidConfig } from './errors.js'
import { getKey, isObject } from './keys.js'
import type { Plan } from '../plan/types.js'
import type { JsonObject } from './types.js'

export const VALID_ATTACHMENTS_KEYS = ['cni.dev/valid-attachments', 'cni.dev/attachments'] as const

/** One attachment the runtime still holds. */
export interface ValidAttachment {
  containerID: string
  ifname: string
}

/**
 * validAttachments: the attachments GC must keep, or undefined when the config carries no list
 * (then GC keeps everything). Malformed lists are a config error (code 7) before any change.
 */
export const validAttachments = (conf: JsonObject): ValidAttachment[] | undefined => {
  const key = VALID_ATTACHMENTS_KEYS.find((k) => getKey(conf, k) !== undefined && getKey(conf, k) !== null)
  if (key === undefined) return undefined
  const raw = getKey(conf, key)
  if (!Array.isArray(raw)) throw invalidConfig(`${key} must be an array`)
  return raw.map((a) => {
    if (!isObject(a)) throw invalidConfig(`${key} entries must be objects`)
    const containerID = getKey(a, 'containerID')
    const ifname = getKey(a, 'ifname')
    if (typeof containerID !== 'string' || typeof ifname !== 'string') throw invalidConfig(`${key} entries need containerID and ifname strings`)
    return { containerID, ifname }
  })
}

/** The line a plugin prints on stderr when GC keeps everything for want of a list. */
export const NO_GC_LIST_NOTE = 'GC: no cni.dev/valid-attachments given, nothing removed'

/** keepEverything is the GC plan when the config carries no list: no step, the note for stderr. */
export const keepEverything = (): Plan => ({ steps: [], notes: [NO_GC_LIST_NOTE] })
