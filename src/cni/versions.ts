// CNI spec versions: what cni-chain speaks, how versions compare, and which verbs each allows.

/** Every spec version whose configs and results cni-chain reads and writes. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const
/** The spec version cni-chain implements. */
export const CURRENT_VERSION = '1.1.0'

/** parseVersion follows libcni: "" is 0.1.0, up to three numeric parts, missing parts are 0. */
export const parseVersion = (v: string): [number, number, number] => {
  if (v === '') return [0, 1, 0]
  const parts = v.split('.')
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new Error(`invalid version ${JSON.stringify(v)}`)
  }
  const [a = 0, b = 0, c = 0] = parts.map(Number)
  return [a, b, c]
}

/** compareVersions returns <0, 0 or >0 like a sort comparator. */
export const compareVersions = (a: string, b: string): number => {
  const x = parseVersion(a)
  const y = parseVersion(b)
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** versionAtLeast tells whether v >= min. */
export const versionAtLeast = (v: string, min: string): boolean => compareVersions(v, min) >= 0

/** The lowest config version at which a verb exists (CHECK 0.4.0, GC and STATUS 1.1.0). */
export const VERB_MIN_VERSION: Record<string, string> = {
  CHECK: '0.4.0',
  GC: '1.1.0',
  STATUS: '1.1.0',
}
