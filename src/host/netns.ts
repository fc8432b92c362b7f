// The real netns seam: whether a namespace path can be entered.
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import type { NetnsHost } from './types.js'

/** realNetns checks namespace paths. */
export const realNetns: NetnsHost = {
  exists: async (path) => {
    try {
      await access(path, constants.R_OK)
      return true
    } catch {
      return false
    }
  },
}
