// Size limits on what one call may ask for, checked before any parsing work so a hostile or broken
// config is refused at once (code 7) instead of costing memory and time (10,000 port mappings once
// took 400 MB and 2 s). The numbers are far above real use and far below what hurts:
//   - PORT_MAPPINGS 1024 per attachment: a pod publishes a handful of host ports; 1024 covers a
//     media server's per-port RTP range listed one by one. Each mapping is one map element and a
//     DNAT rule in one transaction, and the overlap check is quadratic (1024² is ~1 M steps).
//   - SYSCTLS 256 per attachment (config plus args.cni.sysctl): an interface has ~100 net sysctls.
//   - CONDITIONS 64 strings per family (portmap conditionsV4/V6): they become match expressions
//     in every per-pod rule.
//   - EXCLUDE_DESTINATIONS 256 prefixes (portmap): Service CIDRs are one or two per family.
import { invalidConfig } from './errors.js'

export const LIMITS = {
  PORT_MAPPINGS: 1024,
  SYSCTLS: 256,
  CONDITIONS: 64,
  EXCLUDE_DESTINATIONS: 256,
} as const

/** checkCount refuses (code 7) an array or object in `field` with more than `max` entries; other values pass (the parser judges them) */
export const checkCount = (value: unknown, max: number, field: string): void => {
  const n = Array.isArray(value) ? value.length : value !== null && typeof value === 'object' ? Object.keys(value).length : 0
  if (n > max) throw invalidConfig(`${field}: ${n} entries, more than the limit of ${max} (see src/cni/limits.ts)`)
}
