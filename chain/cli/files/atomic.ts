// Atomic file replacement for the CLI's edits of node files (conflists, plugin binaries, the
// install manifest): a temporary file in the same directory, created O_EXCL|O_NOFOLLOW under a
// name no CNI runtime loads (`.NAME.tmp-<16 hex>`, src/host/files.ts tempName), written, fsynced, renamed over the target, and
// the directory fsynced. A watcher (containerd, CRI-O) sees the old file or the new one, never half.
import { constants, createReadStream } from 'node:fs'
import { lstat, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDir, tempName } from '../../../src/host/files.js'

/** ConcurrentChangeError: the file changed between our read and our rename; nothing was written. */
export class ConcurrentChangeError extends Error {
  constructor(path: string) {
    super(`${path} changed while it was being edited; nothing written`)
    this.name = 'ConcurrentChangeError'
  }
}

export interface AtomicWriteOptions {
  /** mode of a new file (default 0644); an existing file keeps its own mode, owner and group */
  mode?: number
  /**
   * replace whatever is at path (a symlink, another binary) with a new file of `mode`, instead of
   * keeping the existing file's mode and refusing anything but a regular file
   */
  replaceAny?: boolean
  /** the bytes the file must still hold just before the rename (undefined: not checked) */
  expect?: Buffer
}

/** existingFile returns the stat of a regular file at path, undefined when nothing is there; refuses anything else. */
export const existingFile = async (path: string) => {
  try {
    const st = await lstat(path)
    if (!st.isFile()) throw new Error(`${path} is not a regular file${st.isSymbolicLink() ? ' (a symbolic link: edit its target)' : ''}`)
    return st
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** writeFileAtomic replaces (or creates) path with data. */
export const writeFileAtomic = async (path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> =>
  replaceAtomic(path, opts, (fh) => fh.writeFile(data))

/** copyFileAtomic replaces (or creates) dest with a copy of src, streamed (the Node binary is ~100 MB). */
export const copyFileAtomic = async (src: string, dest: string, opts: AtomicWriteOptions = {}): Promise<void> =>
  replaceAtomic(dest, opts, async (fh) => {
    for await (const chunk of createReadStream(src)) await fh.write(chunk as Buffer)
  })

const replaceAtomic = async (path: string, opts: AtomicWriteOptions, fill: (fh: FileHandle) => Promise<void>): Promise<void> => {
  const before = opts.replaceAny ? undefined : await existingFile(path)
  const mode = before ? before.mode & 0o7777 : (opts.mode ?? 0o644)
  const tmp = tempName(path)
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    try {
      await fill(fh)
      if (before && process.getuid?.() === 0) await fh.chown(before.uid, before.gid)
      await fh.chmod(mode) // after chown (which clears setuid bits), and not subject to the umask
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (opts.expect !== undefined) {
      const now = await readFile(path).catch(() => undefined)
      if (!now || !now.equals(opts.expect)) throw new ConcurrentChangeError(path)
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(dirname(path))
}
