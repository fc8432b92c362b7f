// What the kernel will not set back: DEL cannot restore such an original value, so ADD refuses
// to change it (plan-add.ts) and DEL reports it instead of failing (plan-del.ts).
import type { LinkAttr, LinkState } from '../../src/net/link.js'

/** unrestorable: why the kernel would refuse `want` for attr on this link, or undefined. */
export const unrestorable = (attr: LinkAttr, want: string | number | boolean, link: LinkState): string | undefined => {
  if (attr === 'mtu' && typeof want === 'number') {
    const min = link.minMtu ?? 68
    const max = link.maxMtu
    if (want < min || (max !== undefined && want > max)) return `is outside the interface's range ${min}-${max ?? '?'}`
  }
  if (attr === 'mac' && typeof want === 'string') {
    if (parseInt(want.slice(0, 2), 16) & 1) return 'is a multicast address'
    if (/^[0:]+$/.test(want)) return 'is all zeros'
  }
  return undefined
}
