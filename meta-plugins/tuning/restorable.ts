// What the kernel (or iproute2) will not set back: DEL cannot restore such an original value, so
// ADD refuses to change it (plan-add.ts) and DEL reports it instead of failing (plan-del.ts).
import type { LinkAttr, LinkState } from '../../src/net/link.js'

/** the largest txqueuelen iproute2 parses (tuning-config.schema.json has the same bound) */
const MAX_IP_TXQLEN = 2 ** 31 - 1

/** unrestorable: why the kernel or iproute2 would refuse `want` for attr on this link, or undefined. */
export const unrestorable = (attr: LinkAttr, want: string | number | boolean, link: LinkState): string | undefined => {
  if (attr === 'mtu' && typeof want === 'number') {
    const min = link.minMtu ?? 68
    const max = link.maxMtu
    if (want < min || (max !== undefined && want > max)) return `is outside the interface's range ${min}-${max ?? '?'}`
  }
  // iproute2 reads txqueuelen as an int (the kernel's u32 above 2^31-1 exists, set by netlink)
  if (attr === 'txQLen' && typeof want === 'number' && want > MAX_IP_TXQLEN) return `is above ${MAX_IP_TXQLEN}, the most \`ip link set txqueuelen\` takes`
  if (attr === 'mac' && typeof want === 'string') {
    if (parseInt(want.slice(0, 2), 16) & 1) return 'is a multicast address'
    if (/^[0:]+$/.test(want)) return 'is all zeros'
  }
  return undefined
}
