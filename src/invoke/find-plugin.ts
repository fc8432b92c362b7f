// findPlugin: libcni's FindInPath. The plugin `type` is a file name looked up in CNI_PATH order;
// the first regular file wins (symlinks followed, exec bit not checked, as libcni).
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CniError, ErrorCode } from '../cni/errors.js'

const isRegularFile = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * findPlugin returns the first `<dir>/<type>` that is a regular file. It throws CniError 7 for an
 * empty name or one with a path separator, and 999 `failed to find plugin "x" in path [a b]`.
 */
export const findPlugin = async (type: string, dirs: readonly string[]): Promise<string> => {
  if (type === '') throw new CniError(ErrorCode.InvalidConfig, 'no plugin name provided')
  if (/[/\\]/.test(type) || type === '.' || type === '..') {
    throw new CniError(ErrorCode.InvalidConfig, `invalid plugin name: ${type}`)
  }
  const searched = dirs.filter((d) => d !== '')
  if (searched.length === 0) throw new CniError(ErrorCode.Internal, `failed to find plugin ${JSON.stringify(type)} in path []`, 'no paths provided')
  for (const dir of searched) {
    const candidate = join(dir, type)
    if (await isRegularFile(candidate)) return candidate
  }
  throw new CniError(ErrorCode.Internal, `failed to find plugin ${JSON.stringify(type)} in path [${searched.join(' ')}]`)
}
