// Validation of the identifiers that reach file names, nft, tc, ip and /proc/sys (libcni's rules,
// pkg/utils ValidateContainerID / ValidateNetworkName / ValidateInterfaceName). Every entry point
// (the plugin skeleton, the executor, every CLI command, run-time publishing) checks an attachment
// with checkAttachment, so a name can never carry a path separator or `..` into a file path.
import { CniError, ErrorCode, invalidConfig } from './errors.js'

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/** isValidContainerId: non-empty, [A-Za-z0-9_.-], first character alphanumeric. */
export const isValidContainerId = (id: string): boolean => ID_RE.test(id)

/** isValidNetworkName: the same character set as container ids. */
export const isValidNetworkName = (name: string): boolean => ID_RE.test(name)

/**
 * interfaceNameProblem returns why `name` is not a usable Linux interface name, or undefined.
 * Rules: 1-15 bytes, not "." or "..", no "/", ":", NUL or whitespace (libcni utils.ValidateInterfaceName).
 */
export const interfaceNameProblem = (name: string): string | undefined => {
  if (name === '') return 'interface name is empty'
  if (Buffer.byteLength(name) > 15) return `interface name ${JSON.stringify(name)} is longer than 15 bytes`
  if (name === '.' || name === '..') return `interface name ${JSON.stringify(name)} is not allowed`
  if (/[/:\s\0]/u.test(name)) return `interface name ${JSON.stringify(name)} contains an invalid character`
  return undefined
}

/** isValidInterfaceName is interfaceNameProblem as a predicate. */
export const isValidInterfaceName = (name: string): boolean => interfaceNameProblem(name) === undefined

/** checkContainerId throws libcni's errors: empty → code 3, bad characters → code 4. */
export const checkContainerId = (id: string, what = 'containerID'): void => {
  if (id === '') throw new CniError(ErrorCode.UnknownContainer, `missing ${what}`)
  if (!isValidContainerId(id)) {
    throw new CniError(ErrorCode.InvalidEnvironment, `invalid ${what}`, `${JSON.stringify(id)} has invalid characters: it must match [A-Za-z0-9][A-Za-z0-9_.-]*`)
  }
}

/** checkInterfaceName throws code 4 naming the problem (libcni ValidateInterfaceName). */
export const checkInterfaceName = (name: string, what = 'interface name'): void => {
  const problem = interfaceNameProblem(name)
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid ${what}`, problem)
}

/** checkNetworkName throws code 7: the name comes from the network configuration (libcni ValidateNetworkName). */
export const checkNetworkName = (name: string): void => {
  if (name === '') throw new CniError(ErrorCode.InvalidConfig, 'missing network name')
  if (!isValidNetworkName(name)) {
    throw new CniError(ErrorCode.InvalidConfig, 'invalid characters found in network name', `${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9_.-]*`)
  }
}

/** The names that identify one attachment (and its cache file). */
export interface AttachmentNames {
  network?: string
  containerId: string
  ifname: string
}

/**
 * checkAttachment is the one check every entry point runs before touching anything: the network
 * name (when given, code 7), the container id (3 / 4) and the interface name (4), in that order.
 */
export const checkAttachment = (a: AttachmentNames): void => {
  if (a.network !== undefined) checkNetworkName(a.network)
  checkContainerId(a.containerId)
  checkInterfaceName(a.ifname)
}

/**
 * checkDataDir returns a plugin's state directory without trailing slashes, or throws code 7: it
 * must be absolute, free of NUL and newline, and have no `.` or `..` segment (it names files the
 * plugin writes as root).
 */
export const checkDataDir = (dir: string, key = 'dataDir'): string => {
  if (!dir.startsWith('/') || /[\0\n]/.test(dir) || dir.split('/').some((s) => s === '.' || s === '..')) {
    throw invalidConfig(`${key} ${JSON.stringify(dir)} must be an absolute path without "." or ".." segments`)
  }
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir
}
