// Entry checks shared by the node-file commands (conflist, install, uninstall): every path and
// name is checked before anything is read or written.
import { resolve } from 'node:path'
import { isValidNetworkName } from '../../../src/cni/validate.js'

/** InputError: a command-line value was refused; nothing was read or written. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** requirePath returns the option's value as an absolute path; refuses "" (the current dir) and NUL. */
export const requirePath = (option: string, value: string | undefined): string => {
  if (value === undefined || value === '') throw new InputError(`--${option}: a path is required (an empty one would be the current directory)`)
  if (value.includes('\0')) throw new InputError(`--${option}: ${JSON.stringify(value)} contains a NUL byte`)
  return resolve(value)
}

/** requireNetworkName refuses names libcni would refuse (the shared rule of src/cni/validate.ts). */
export const requireNetworkName = (option: string, value: string): string => {
  if (!isValidNetworkName(value)) throw new InputError(`--${option}: invalid network name ${JSON.stringify(value)} (it must match [A-Za-z0-9][A-Za-z0-9_.-]*)`)
  return value
}

/** requireType refuses plugin types a runtime could not look up as a file name. */
export const requireType = (option: string, value: string): string => {
  if (value === '' || /[/\\\s\0]/.test(value) || value === '.' || value === '..') {
    throw new InputError(`--${option}: ${JSON.stringify(value)} is not a plugin type (a file name in the plugin dir)`)
  }
  return value
}

/** listOption splits a comma-separated option (repeatable) into its non-empty items. */
export const listOption = (values: string | string[] | undefined): string[] =>
  (Array.isArray(values) ? values : values === undefined ? [] : [values]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
