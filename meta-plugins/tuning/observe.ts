// Reads shared by ADD and CHECK: prevResult, the netns, the allowlist and current sysctl values.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import { getKey } from '../../src/cni/keys.js'
import { toCurrentResult } from '../../src/cni/result-convert.js'
import type { Result } from '../../src/cni/types.js'
import type { ReadHost } from '../../src/host/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseAllowlist, type SysctlSetting } from './sysctl-keys.js'

/** ALLOWLIST_PATH: the reference's fixed allowlist location (read through host.files). */
export const ALLOWLIST_PATH = '/etc/cni/tuning/allowlist.conf'

/** requirePrevResult returns the parsed prevResult; ADD and CHECK fail with code 7 without it. */
export const requirePrevResult = (req: PluginRequest): Result => {
  const raw = getKey(req.conf, 'prevResult')
  if (raw === undefined || raw === null) throw new CniError(ErrorCode.InvalidConfig, 'Required prevResult missing')
  try {
    return toCurrentResult(raw, req.conf.cniVersion)
  } catch (err) {
    throw new CniError(ErrorCode.InvalidConfig, 'could not parse prevResult', err instanceof Error ? err.message : String(err))
  }
}

/** requireNetns fails with code 4 when CNI_NETNS does not name a namespace. */
export const requireNetns = async (host: ReadHost, netns: string): Promise<void> => {
  if (!(await host.netns.exists(netns))) {
    throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_NETNS', `${JSON.stringify(netns)} is not a network namespace`)
  }
}

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
