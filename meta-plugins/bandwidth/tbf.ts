// The token bucket filters bandwidth installs, as pure arithmetic and tc argument arrays.
// Rates count what tc counts: every byte of every frame, Ethernet header included (a full TCP
// segment is 1514 bytes for 1448 bytes of payload, so bulk TCP goodput tops out at 0.956 of the
// rate). README.md "Choosing burst and queue" explains the constants with measurements.
import type { Shaping } from './config.js'

/** The handle of our root tbf (on the host veth and on the ifb): "ours" without a record. */
export const TBF_HANDLE = 'bd00:'
/** The preference of our redirect filter on the host veth's ingress hook (we own this priority). */
export const FILTER_PREF = 65000

/** The Ethernet header tbf counts on top of the MTU-sized packet. */
const ETH_HLEN = 14
/** default burst: 10 ms at the rate, at least two full frames */
const DEFAULT_BURST_SECONDS = 0.01
const MIN_BURST_FRAMES = 2
/** queue behind the bucket: 50 ms at the rate, and at low rates 16 full frames if that stays under 190 ms */
const QUEUE_SECONDS = 0.05
const LOW_RATE_QUEUE_FRAMES = 16
const MAX_LOW_RATE_QUEUE_SECONDS = 0.19
const MIN_QUEUE_FRAMES = 2
/**
 * The kernel reports a tbf's bucket as a 32-bit count of 64 ns ticks (wrapping at 274.88 s of
 * traffic); a bigger burst makes a qdisc that tc, CHECK and the reference misread. 274 s is the
 * largest whole number of seconds below that.
 */
export const MAX_BURST_SECONDS = 274
const U32_MAX = 0xffffffff

/** What `tc qdisc ... tbf` gets: rate in bytes/s, burst and limit in bytes. */
export interface TbfParams {
  rate: number
  burst: number
  limit: number
}

/**
 * tbfParams turns a configured direction into tbf parameters for a device of `mtu`:
 *  - rate: bits/s → bytes/s (rounded down, as the reference);
 *  - burst: the configured one in bytes, at least one full frame (a smaller bucket passes no
 *    full-size packet at all) and at most MAX_BURST_SECONDS of traffic; none configured → the
 *    default, 10 ms of traffic, at least two frames;
 *  - limit: burst plus a queue of 50 ms of traffic; at low rates, where 50 ms is only a few
 *    frames, 16 frames as long as they drain within 190 ms (TCP's minimum RTO is 200 ms: a longer
 *    standing queue makes it time out); at least 2 frames; below 2^32.
 */
export const tbfParams = (s: Shaping, mtu: number): TbfParams => {
  const rate = Math.floor(s.rate / 8)
  const frame = mtu + ETH_HLEN
  const maxBurst = Math.min(Math.floor(rate * MAX_BURST_SECONDS), U32_MAX)
  const wanted = s.burst === undefined ? Math.max(Math.ceil(rate * DEFAULT_BURST_SECONDS), MIN_BURST_FRAMES * frame) : Math.floor(s.burst / 8)
  const burst = Math.max(frame, Math.min(wanted, maxBurst))
  const lowRate = Math.min(LOW_RATE_QUEUE_FRAMES * frame, Math.floor(rate * MAX_LOW_RATE_QUEUE_SECONDS))
  const queue = Math.max(Math.ceil(rate * QUEUE_SECONDS), lowRate, MIN_QUEUE_FRAMES * frame)
  return { rate, burst, limit: Math.min(burst + queue, U32_MAX) }
}

/** tbfArgs: `tc qdisc replace dev DEV root handle bd00: tbf rate NBps burst N limit N`. */
export const tbfArgs = (dev: string, p: TbfParams): string[] =>
  ['qdisc', 'replace', 'dev', dev, 'root', 'handle', TBF_HANDLE, 'tbf', 'rate', `${p.rate}bps`, 'burst', String(p.burst), 'limit', String(p.limit)]

/** redirectArgs: our filter, every packet arriving on `dev` goes to the ifb's egress (its tbf). */
export const redirectArgs = (dev: string, ifb: string): string[] =>
  ['filter', 'add', 'dev', dev, 'ingress', 'pref', String(FILTER_PREF), 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
    'action', 'mirred', 'egress', 'redirect', 'dev', ifb]

/** redirectDelArgs removes our priority (and with it only our filter) from `dev`'s ingress hook. */
export const redirectDelArgs = (dev: string): string[] => ['filter', 'del', 'dev', dev, 'ingress', 'pref', String(FILTER_PREF)]

// ---- reading what tc shows ----------------------------------------------------------------

/** One entry of `tc -j qdisc show dev X`. */
export interface TcQdisc {
  kind?: string
  handle?: string
  root?: boolean
  parent?: string
  options?: { rate?: number; burst?: number; lat?: number; limit?: number }
}

/** One entry of `tc -j filter show dev X ingress`. */
export interface TcFilter {
  pref?: number
  kind?: string
  protocol?: string
  options?: { fh?: string; actions?: { kind?: string; mirred_action?: string; direction?: string; to_dev?: string }[] }
}

/** The root qdisc of a device, classified. */
export type RootState =
  | { state: 'none' }
  /** a kernel default (handle 0:): replacing it and deleting ours restores the default */
  | { state: 'default'; kind: string }
  | { state: 'ours'; params: TbfParams }
  | { state: 'foreign'; kind: string; handle: string }

/** rootState classifies the root qdisc among the qdiscs of a device. */
export const rootState = (qdiscs: readonly TcQdisc[]): RootState => {
  const root = qdiscs.find((q) => q.root === true)
  if (!root) return { state: 'none' }
  const kind = root.kind ?? '?'
  const handle = root.handle ?? '?'
  if (handle === '0:') return { state: 'default', kind }
  if (kind === 'tbf' && handle === TBF_HANDLE) return { state: 'ours', params: shownParams(root) }
  return { state: 'foreign', kind, handle }
}

/** shownParams: the rate, burst and limit tc shows (it prints `lat` instead of `limit` when it can). */
const shownParams = (q: TcQdisc): TbfParams => {
  const rate = q.options?.rate ?? 0
  const burst = q.options?.burst ?? 0
  const limit = q.options?.limit ?? (rate > 0 ? Math.round(((q.options?.lat ?? 0) * rate) / 1e6) + burst : 0)
  return { rate, burst, limit }
}

/** The ingress-side qdisc of a device: clsact, the older ingress qdisc, or none. */
export const ingressQdisc = (qdiscs: readonly TcQdisc[]): 'clsact' | 'ingress' | undefined => {
  const q = qdiscs.find((x) => x.parent === 'ffff:fff1' && (x.kind === 'clsact' || x.kind === 'ingress'))
  return q?.kind as 'clsact' | 'ingress' | undefined
}

/** The filters at one preference, as tc prints them (a header, the hash table, the nodes). */
export const filtersAt = (filters: readonly TcFilter[], pref: number): TcFilter[] => filters.filter((f) => f.pref === pref)

/**
 * isOurRedirect tells whether the filters at FILTER_PREF are ours: u32 nodes whose actions are
 * mirred egress redirects (to `ifb` when given). Anything else at that priority is someone else's.
 */
export const isOurRedirect = (atPref: readonly TcFilter[], ifb?: string): boolean => {
  const nodes = atPref.filter((f) => f.options?.actions !== undefined)
  return atPref.length > 0 && atPref.every((f) => f.kind === 'u32') && nodes.length > 0 &&
    nodes.every((n) => (n.options?.actions ?? []).every((a) => a.kind === 'mirred' && a.mirred_action === 'redirect' && (ifb === undefined || a.to_dev === ifb)))
}

/**
 * burstMatches compares a shown burst with the configured one. tc derives the burst it prints
 * from the bucket in whole microseconds, so it may be short by up to rate/1e6 bytes.
 */
export const burstMatches = (shown: number, want: TbfParams): boolean =>
  Math.abs(shown - want.burst) <= Math.ceil(want.rate / 1e6) * 2 + 2
