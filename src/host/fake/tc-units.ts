// tc's units and tbf arithmetic, as iproute2 6.1 computes them (tc/tc_core.c, q_tbf.c, utils.c),
// so the fake stores and prints what the kernel would: rates in bytes/s (bare numbers are bits/s),
// sizes in bytes (k/m/g are binary), times in µs, the bucket as psched ticks. tick_in_usec is 1000,
// from this machine's /proc/net/psched (000003e8 00000040 000f4240 3b9aca00).
const TIME_UNITS_PER_SEC = 1_000_000
const TICK_IN_USEC = 1000

/** u32: C's conversion of a non-negative double to unsigned int (truncation, wrap-around). */
const u32 = (x: number): number => Math.trunc(x) % 2 ** 32

const NUMBER = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i

const split = (s: string): [number, string] | undefined => {
  const m = NUMBER.exec(s)
  return m ? [Number(m[0]), s.slice(m[0].length)] : undefined
}

const RATE: Record<string, number> = {
  bit: 1, kibit: 1024, kbit: 1000, mibit: 1024 ** 2, mbit: 1e6, gibit: 1024 ** 3, gbit: 1e9, tibit: 1024 ** 4, tbit: 1e12,
  bps: 8, kibps: 8 * 1024, kbps: 8000, mibps: 8 * 1024 ** 2, mbps: 8e6, gibps: 8 * 1024 ** 3, gbps: 8e9, tibps: 8 * 1024 ** 4, tbps: 8e12,
}

/** parseRate: bytes per second, or undefined (get_rate64). */
export const parseRate = (s: string): number | undefined => {
  const p = split(s)
  if (!p) return undefined
  const [n, unit] = p
  const scale = unit === '' ? 1 : RATE[unit.toLowerCase()]
  return scale === undefined ? undefined : Math.trunc((n * scale) / 8)
}

const SIZE: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, kbit: 128, mbit: 1024 ** 2 / 8, gbit: 1024 ** 3 / 8 }

/** parseSize: bytes, or undefined (get_size; a /CELL suffix is ignored). */
export const parseSize = (s: string): number | undefined => {
  const p = split(s.split('/')[0] ?? '')
  if (!p) return undefined
  const scale = SIZE[p[1].toLowerCase()]
  return scale === undefined ? undefined : u32(p[0] * scale)
}

const TIME: Record<string, number> = { '': 1, s: 1e6, sec: 1e6, secs: 1e6, ms: 1000, msec: 1000, msecs: 1000, us: 1, usec: 1, usecs: 1 }

/** parseTime: microseconds, or undefined (get_time). */
export const parseTime = (s: string): number | undefined => {
  const p = split(s)
  if (!p) return undefined
  const scale = TIME[p[1].toLowerCase()]
  return scale === undefined ? undefined : u32(p[0] * scale)
}

const time2tick = (usec: number): number => u32(u32(usec) * TICK_IN_USEC)
const tick2time = (tick: number): number => u32(tick / TICK_IN_USEC)

/** tbfKernelParams: what `tc qdisc add ... tbf` sends: buffer in ticks, limit in bytes. */
export const tbfKernelParams = (rate: number, burst: number, limitOrLatency: { limit: number } | { latency: number }): { buffer: number; limit: number } => {
  const buffer = time2tick((TIME_UNITS_PER_SEC * burst) / rate)
  const limit = 'limit' in limitOrLatency ? limitOrLatency.limit : u32((rate * limitOrLatency.latency) / TIME_UNITS_PER_SEC + burst)
  return { buffer, limit }
}

/** tbfOptions: the `options` object `tc -j qdisc show` prints for a tbf. */
export const tbfOptions = (rate: number, buffer: number, limit: number): Record<string, number> => {
  const burst = u32((rate * tick2time(buffer)) / TIME_UNITS_PER_SEC)
  const latency = TIME_UNITS_PER_SEC * (limit / rate) - tick2time(buffer)
  return latency >= 0 ? { rate, burst, lat: u32(latency) } : { rate, burst, limit }
}
