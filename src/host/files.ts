// The real file seam: state files and caches, written atomically (temp file + rename).
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { FileHost } from './types.js'

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
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const tmp = `${path}.tmp-${process.pid}`
    await writeFile(tmp, content, { mode })
    await rename(tmp, path)
  },
  remove: async (path) => rm(path, { force: true }),
  list: async (dir) => {
    try {
      return (await readdir(dir)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  },
}
