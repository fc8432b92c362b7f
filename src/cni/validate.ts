// Validation of the identifiers that reach file names, nft, tc, ip and /proc/sys (libcni's rules).

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
