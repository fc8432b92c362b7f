// Per-attachment chain names (portmap `pm-…`, firewall `fw-…`): PREFIX + '-' + the first 16
// characters of base32(sha256(network NUL containerID NUL ifname)). Deterministic, so DEL, CHECK
// and GC find an attachment's chain without listing; 80 bits keep collisions out of reach, and
// the name stays far below nft's 256-byte limit whatever the container id's length.
import { createHash } from 'node:crypto'

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** base32 (RFC 4648 alphabet, lowercase, no padding): names made of [a-z2-7] only. */
export const base32 = (buf: Uint8Array): string => {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of buf) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** attachmentChainName: the chain of one attachment, under `prefix` (e.g. 'pm', 'fw'). */
export const attachmentChainName = (prefix: string, network: string, containerId: string, ifname: string): string =>
  `${prefix}-${base32(createHash('sha256').update(`${network}\0${containerId}\0${ifname}`).digest()).slice(0, 16)}`

/** isAttachmentChainName tells whether `name` is an attachment chain under `prefix`. */
export const isAttachmentChainName = (prefix: string, name: string): boolean =>
  name.length === prefix.length + 17 && name.startsWith(`${prefix}-`) && /^[a-z2-7]{16}$/.test(name.slice(prefix.length + 1))
