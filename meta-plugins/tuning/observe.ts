// Reads shared by ADD and CHECK: the allowlist and current sysctl values (prevResult and the netns: src/cni/prev-result.ts, src/net/netns.ts).
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import { parseAllowlist, type SysctlSetting } from './sysctl-keys.js'

/** ALLOWLIST_PATH: the reference's fixed allowlist location (read through host.files). */
export const ALLOWLIST_PATH = '/etc/cni/tuning/allowlist.conf'

/** readAllowlist returns the allowlist's regexps, or undefined when there is no allowlist file. */
export const readAllowlist = async (host: ReadHost): Promise<RegExp[] | undefined> => {
  const text = await host.files.read(ALLOWLIST_PATH)
  return text === undefined ? undefined : parseAllowlist(text)
}

/**
 * readSysctls returns the current value of each setting's path in netns (trailing newline
 * trimmed); a key that does not exist there is a code 7 error naming it.
 */
export const readSysctls = async (host: ReadHost, settings: readonly SysctlSetting[], netns: string): Promise<string[]> => {
  if (settings.length === 0) return []
  const values = await host.sysctl.read(settings.map((s) => s.path), netns)
  return settings.map((s, i) => {
    const v = values[i]
    if (v === undefined) throw new CniError(ErrorCode.InvalidConfig, `sysctl ${s.key} does not exist in the pod netns`, `/proc/sys/${s.path}`)
    return v.replace(/\n$/, '')
  })
}
