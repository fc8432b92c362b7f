// A small seeded generator (mulberry32) shared by the property tests and the e2e fuzz and crash
// tests: the same seed gives the same cases, so a failing run is replayed from its printed seed.

export interface Rng {
  readonly seed: number
  /** a float in [0, 1) */
  next(): number
  /** an integer in [lo, hi] */
  int(lo: number, hi: number): number
  bool(p?: number): boolean
  pick<T>(items: readonly T[]): T
  /** a random subset, in the original order */
  subset<T>(items: readonly T[], p?: number): T[]
  /** a fresh generator derived from this one (for per-case streams) */
  fork(): Rng
}

export const rng = (seed: number): Rng => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const r: Rng = {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bool: (p = 0.5) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    subset: (items, p = 0.5) => items.filter(() => next() < p),
    fork: () => rng(Math.floor(next() * 2 ** 32)),
  }
  return r
}
