// The real netns seam: whether a path names a network namespace that can be entered. A plain file
// or a directory there would otherwise fail later inside `nsenter` with a misleading error about
// sysctls or links. Namespace files (/run/netns/x bind mounts, /proc/PID/ns/net) live on nsfs.
import { statfs } from 'node:fs/promises'
import type { NetnsHost } from './types.js'

// include/uapi/linux/magic.h
const NSFS_MAGIC = 0x6e736673

/**
 * netnsProblem returns why `path` is not a namespace file, or undefined when it is one. It reads
 * only the file system type (statfs), never the file.
 */
export const netnsProblem = async (path: string): Promise<string | undefined> => {
  if (path === '') return 'CNI_NETNS is empty'
  try {
    const st = await statfs(path)
    if (st.type !== NSFS_MAGIC) return `${JSON.stringify(path)} is not a network namespace (not a namespace file)`
    return undefined
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    return `${JSON.stringify(path)} is not a network namespace (${code})`
  }
}

/** realNetns checks namespace paths by their file system type. */
export const realNetns: NetnsHost = {
  exists: async (path) => (await netnsProblem(path)) === undefined,
}
