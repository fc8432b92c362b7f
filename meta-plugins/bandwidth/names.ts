// Names bandwidth gives things. The ifb is the reference's `bwp` + 12 hex of sha512(network +
// containerID) (15 characters), so either implementation's DEL removes the other's ifb; when that
// name is taken by something that is not ours (a hash collision, another attachment of the same
// container and network), the next candidate hashes in a counter. The ifb's MAC is derived too,
// so the ADD result can carry it before the ifb exists.
import { createHash } from 'node:crypto'

/** How many ifb names ADD tries before giving up (a second one is already a 2^-48 event). */
export const IFB_CANDIDATES = 4

const hex = (text: string): string => createHash('sha512').update(text).digest('hex')

/** ifbName: candidate `n` (0 = the reference's name) for the attachment's ifb. */
export const ifbName = (network: string, containerId: string, n = 0): string =>
  `bwp${hex(n === 0 ? network + containerId : `${network}${containerId}\0${n}`).slice(0, 12)}`

/** ifbMac: a locally administered unicast MAC derived from the ifb's name. */
export const ifbMac = (ifb: string): string => {
  const h = hex(`mac\0${ifb}`)
  const bytes = [0x02, ...[2, 4, 6, 8, 10].map((i) => parseInt(h.slice(i, i + 2), 16))]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

/** Longest record name used as is (file names end at 255 bytes; container ids have no limit). */
const MAX_READABLE_NAME = 200

/**
 * recordFileName names the record of one attachment: `<network>:<containerID>:<ifname>.json`
 * (none of the three can contain ':'), or, when that is longer than 200 bytes, `~` and 128 bits of
 * SHA-256 of the three (the record itself holds the full names).
 */
export const recordFileName = (network: string, containerId: string, ifname: string): string => {
  const readable = `${network}:${containerId}:${ifname}.json`
  if (Buffer.byteLength(readable) <= MAX_READABLE_NAME) return readable
  return `~${createHash('sha256').update(`${network}\0${containerId}\0${ifname}`).digest('hex').slice(0, 32)}.json`
}

export const recordPath = (dataDir: string, network: string, containerId: string, ifname: string): string =>
  `${dataDir}/${recordFileName(network, containerId, ifname)}`
