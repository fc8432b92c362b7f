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

/** recordFileName names the record of one attachment (no network name, id or ifname contains ':'). */
export const recordFileName = (network: string, containerId: string, ifname: string): string =>
  `${network}:${containerId}:${ifname}.json`

export const recordPath = (dataDir: string, network: string, containerId: string, ifname: string): string =>
  `${dataDir}/${recordFileName(network, containerId, ifname)}`
