// The real file seam: state files and caches (tuning records, portmap state, the libcni cache).
// Writes are atomic and never follow a link planted by someone else:
//  - the temporary file is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, in the target's
//    directory (`.NAME.tmp-<16 hex>`): an existing file or symlink at that name makes the open fail
//    instead of being followed. State files use one name per target (stateTempName), so a DEL
//    that removes the target removes a crash-left temp file too; on EEXIST the stale name is
//    unlinked (never followed) and the exclusive create tried once more. Other writers (the CLI's
//    conflist edits) use a random name (tempName);
//  - it is written, chmod'ed to the wanted mode (not subject to the umask) and renamed over the
//    target. rename(2) replaces whatever is at the target path, a symlink included, without
//    following it: a link planted at the final path is replaced by our file and its target is
//    never written. The final path itself is never opened for writing.
//  - no fsync: a plugin that dies leaves the old file or the new one either way, and what these
//    files describe (pod sysctls, ifbs, nft objects, iptables rules) does not survive the power
//    loss an fsync would guard against; libcni does not fsync its cache either. Two fsyncs cost
//    ~2 ms per record on this VM's disk, ~8 ms per ADD of four plugins. Readers treat a damaged
//    file as absent. (The CLI's conflist and binary writes, chain/cli/files/atomic.ts, do fsync.)
// Reads follow symlinks on purpose: an allowlist mounted from a Kubernetes ConfigMap is one.
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { FileHost } from './types.js'

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** tempName: a fresh name next to path that no reader mistakes for a state file. */
export const tempName = (path: string): string => join(dirname(path), `.${basename(path)}.tmp-${randomBytes(8).toString('hex')}`)

/**
 * stateTempName: the one temp name a state file (record, cache entry) is written through:
 * `.NAME.tmp-` + 16 hex digits derived from NAME. It is fixed per target so that removing the
 * target also removes a temp file a SIGKILL left between open and rename; O_EXCL|O_NOFOLLOW still
 * refuse whatever is planted there (see realFiles.write).
 */
export const stateTempName = (path: string): string =>
  join(dirname(path), `.${basename(path)}.tmp-${createHash('sha256').update(basename(path)).digest('hex').slice(0, 16)}`)

/** isTempName tells whether a directory entry is one of our in-flight (or crash-left) temp files. */
export const isTempName = (name: string): boolean => /^\..+\.tmp-[0-9a-f]{16}$/.test(name)

/** fsyncDir makes a rename in dir durable. */
export const fsyncDir = async (dir: string): Promise<void> => {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** writeAtomic replaces path with content (see the file comment); `nameFor` is for tests. */
export const writeAtomic = async (path: string, content: string, mode: number, nameFor: (path: string) => string = tempName): Promise<void> => {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = nameFor(path)
  const fh = await open(tmp, WRITE_FLAGS, 0o600)
  try {
    try {
      await fh.writeFile(content)
      await fh.chmod(mode)
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** realFiles is node:fs behind the FileHost interface. */
export const realFiles: FileHost = {
  read: async (path) => {
    try {
      return await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  },
  write: async (path, content, mode) => {
    try {
      await writeAtomic(path, content, mode, stateTempName)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const tmp = stateTempName(path)
      if (e.code !== 'EEXIST' || e.path !== tmp) throw err
      // a crash-left temp file, or something planted there: unlink never follows a link; then
      // one more exclusive create (a second EEXIST is an error)
      await rm(tmp, { force: true })
      await writeAtomic(path, content, mode, stateTempName)
    }
  },
  remove: async (path) => {
    await rm(path, { force: true })
    await rm(stateTempName(path), { force: true })
  },
  removeDir: async (path) => {
    try {
      await rmdir(path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // another user's entry keeps it (the check and the removal are one syscall: race-free)
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
    }
  },
  // our own temporary files are not entries (a crash between open and rename can leave one)
  list: async (dir) => {
    try {
      return (await readdir(dir)).filter((name) => !isTempName(name)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  },
}
