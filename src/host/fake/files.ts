// Files and directories as src/host/files.ts leaves them: write creates the missing parent
// directories (and they stay: remove deletes the file only), list names files and directories
// directly in a directory, a missing directory lists as []. Errors are Node's (EISDIR, ENOTDIR).
import type { FileHost } from '../types.js'
import type { EffectGate } from './effects.js'
import type { FakeFile, World } from './model.js'

export interface FakeFileHost extends FileHost {
  /** the files (path → content and mode); tests may seed or inspect it */
  contents: Map<string, FakeFile>
  /** the directories that exist (created by write, or seeded) */
  dirs: Set<string>
}

const fsError = (code: string, op: string, path: string): Error =>
  Object.assign(new Error(`${code}: ${op} '${path}'`), { code, path })

const parents = (path: string): string[] => {
  const parts = path.split('/').filter((p) => p !== '')
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)
}

const norm = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, '') : path)

export const fakeFiles = (world: World, gate: EffectGate): FakeFileHost => ({
  contents: world.files,
  dirs: world.dirs,
  read: async (path) => {
    gate.reads.push(`files read ${path}`)
    if (world.dirs.has(norm(path))) throw fsError('EISDIR', 'illegal operation on a directory, read', path)
    return world.files.get(path)?.content
  },
  write: async (path, content, mode) => {
    const injected = gate.enter({ tool: 'files', args: ['write', path] })
    if (injected !== undefined) throw fsError('EIO', `${injected}, open`, path)
    const dirs = parents(path)
    const blocked = dirs.find((d) => world.files.has(d))
    // mkdir -p on a path through a file
    if (blocked) throw fsError('EEXIST', 'file already exists, mkdir', blocked)
    if (world.dirs.has(path)) throw fsError('EISDIR', 'illegal operation on a directory, open', path)
    for (const d of dirs) world.dirs.add(d)
    world.files.set(path, { content, mode })
  },
  remove: async (path) => {
    const injected = gate.enter({ tool: 'files', args: ['remove', path] })
    if (injected !== undefined) throw fsError('EIO', `${injected}, rm`, path)
    if (world.dirs.has(norm(path))) throw fsError('ERR_FS_EISDIR', 'Path is a directory: rm returned EISDIR (is a directory)', path)
    world.files.delete(path)
  },
  removeDir: async (path) => {
    const injected = gate.enter({ tool: 'files', args: ['removeDir', path] })
    if (injected !== undefined) throw fsError('EIO', `${injected}, rmdir`, path)
    const d = norm(path)
    if (world.files.has(d)) throw fsError('ENOTDIR', 'not a directory, rmdir', path)
    const prefix = `${d}/`
    const busy = [...world.files.keys(), ...world.dirs].some((p) => p.startsWith(prefix))
    if (!busy) world.dirs.delete(d)
  },
  list: async (dir) => {
    gate.reads.push(`files list ${dir}`)
    const d = norm(dir)
    if (world.files.has(d)) throw fsError('ENOTDIR', 'not a directory, scandir', dir)
    const prefix = d === '/' ? '/' : `${d}/`
    const names = new Set<string>()
    for (const p of [...world.files.keys(), ...world.dirs]) {
      if (p.startsWith(prefix) && p.length > prefix.length) names.add(p.slice(prefix.length).split('/')[0] as string)
    }
    return [...names].sort()
  },
})
