// Sysctl keys from the config are dotted names (net.ipv4.conf.IFNAME.arp_filter). They become
// paths under /proc/sys in the pod's netns, so every key is checked to stay inside /proc/sys/net
// before anything is read or written: only [A-Za-z0-9_-] segments under `net`, no `/`, no `..`.
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'

/** One configured sysctl, resolved. */
export interface SysctlSetting {
  /** the key as configured (dotted, IFNAME not substituted): what the allowlist matches */
  key: string
  /** the slash form relative to /proc/sys, IFNAME substituted: what is read and written */
  path: string
  value: string
}

const SEGMENT = /^[A-Za-z0-9_-]+$/

/**
 * sysctlPath turns a dotted key into its /proc/sys-relative path the reference's way: dots become
 * slashes first, then the first `IFNAME` becomes the interface name (so `eth0.100` keeps its dot).
 * Throws a code 7 CniError when the key could leave /proc/sys/net.
 */
export const sysctlPath = (key: string, ifname: string): string => {
  const segments = key.split('.')
  if (segments[0] !== 'net' || segments.length < 2 || !segments.every((s) => SEGMENT.test(s))) {
    throw invalidConfig(`invalid net sysctl key ${JSON.stringify(key)}: expected net.<name>... with segments of [A-Za-z0-9_-]`)
  }
  const path = segments.join('/').replace('IFNAME', ifname)
  // the interface name is validated by the dispatcher (no "/"); this also refuses names the
  // kernel allows but /proc/sys paths here do not (e.g. "@")
  if (!isSafeSysctlPath(path)) throw invalidConfig(`invalid net sysctl key ${JSON.stringify(key)} for interface ${JSON.stringify(ifname)}`)
  return path
}

/** checkSysctlValue refuses values that cannot be written as one line of /proc/sys. */
export const checkSysctlValue = (key: string, value: string): void => {
  if (value === '' || /[\n\r\0]/.test(value)) {
    throw invalidConfig(`invalid value for sysctl ${JSON.stringify(key)}: ${JSON.stringify(value)} (empty, newline or NUL)`)
  }
}

/**
 * isSafeSysctlPath tells whether a slash path stays inside /proc/sys/net. Used on every resolved
 * key and again on the paths read back from a record file before DEL writes them.
 */
export const isSafeSysctlPath = (path: string): boolean => {
  const parts = path.split('/')
  return parts[0] === 'net' && parts.length >= 2 && parts.every((p) => /^[A-Za-z0-9_.-]+$/.test(p) && p !== '.' && p !== '..')
}

/** parseAllowlist reads allowlist.conf: one regexp a line, blank lines ignored. */
export const parseAllowlist = (text: string): RegExp[] =>
  text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => {
    try {
      return new RegExp(l)
    } catch (err) {
      throw new CniError(ErrorCode.InvalidConfig, 'invalid sysctl allowlist', `${JSON.stringify(l)}: ${err instanceof Error ? err.message : String(err)}`)
    }
  })

/**
 * checkAllowlist refuses keys that no allowlist regexp matches (unanchored, like Go's
 * MatchString, against the raw dotted key). An absent allowlist allows everything.
 */
export const checkAllowlist = (settings: readonly SysctlSetting[], allowlist: RegExp[] | undefined): void => {
  if (allowlist === undefined) return
  for (const s of settings) {
    if (!allowlist.some((re) => re.test(s.key))) {
      throw new CniError(ErrorCode.InvalidConfig, `sysctl ${s.key} is not allowed`,
        `only sysctls matching the allowlist are allowed: ${JSON.stringify(allowlist.map((r) => r.source))}`)
    }
  }
}
