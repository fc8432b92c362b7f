// The pod interface as `ip -j -d link show` reports it, and the `ip link set` steps that change
// one attribute each. Names and values are validated before they get here (config.ts, record.ts).
import { isNotFound } from '../host/types.js'
import type { Host } from '../host/types.js'
import type { Step } from '../plan/types.js'

/** LinkState: the attributes tuning reads and writes. */
export interface LinkState {
  mac: string
  mtu: number
  promisc: boolean
  allmulti: boolean
  txQLen: number
  minMtu: number | undefined
  maxMtu: number | undefined
}

interface IpLink {
  ifname?: string
  address?: string
  mtu?: number
  flags?: string[]
  txqlen?: number
  min_mtu?: number
  max_mtu?: number
}

/**
 * readLink returns the interface's state in netns, or undefined when it does not exist. Flags are
 * the user-requested ones (IFF_PROMISC/IFF_ALLMULTI), not the promiscuity counters.
 */
export const readLink = async (host: Host, ifname: string, netns: string): Promise<LinkState | undefined> => {
  let links: IpLink[]
  try {
    links = await host.ip.json<IpLink[]>(['-d', 'link', 'show', 'dev', ifname], netns)
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw err
  }
  const l = links[0]
  if (!l || typeof l.mtu !== 'number') return undefined
  const flags = l.flags ?? []
  return {
    mac: (l.address ?? '').toLowerCase(),
    mtu: l.mtu,
    promisc: flags.includes('PROMISC'),
    allmulti: flags.includes('ALLMULTI'),
    // iproute2 prints no txqlen when it is 0 (veths made through netlink often have 0)
    txQLen: l.txqlen ?? 0,
    minMtu: l.min_mtu,
    maxMtu: l.max_mtu,
  }
}

/** The attributes `ip link set` changes, in the order DEL restores them (MTU first). */
export type LinkAttr = 'mtu' | 'mac' | 'promisc' | 'allmulti' | 'txQLen'

/** linkSetStep builds the one `ip link set` step that sets attr to value in netns. */
export const linkSetStep = (ifname: string, netns: string, attr: LinkAttr, value: string | number | boolean): Step => {
  const onOff = (b: unknown): string => (b ? 'on' : 'off')
  const tail: Record<LinkAttr, string[]> = {
    mtu: ['mtu', String(value)],
    mac: ['address', String(value)],
    promisc: ['promisc', onOff(value)],
    allmulti: ['allmulticast', onOff(value)],
    txQLen: ['txqueuelen', String(value)],
  }
  return { kind: 'ip', netns, args: ['link', 'set', 'dev', ifname, ...tail[attr]] }
}
