// Safety net: resources the harness created and has not released yet. Normal cleanup is
// t.teardown (LIFO, runs on failure too); this only matters when the test process exits without
// running teardowns (an uncaught error, process.exit). It never touches anything it did not create.
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'

const groups = new Set<number>()
const namespaces = new Set<string>()
const dirs = new Set<string>()

export const track = {
  group: (pid: number) => groups.add(pid),
  netns: (name: string) => namespaces.add(name),
  dir: (path: string) => dirs.add(path),
}

export const untrack = {
  group: (pid: number) => groups.delete(pid),
  netns: (name: string) => namespaces.delete(name),
  dir: (path: string) => dirs.delete(path),
}

process.once('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  for (const name of namespaces) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 })
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
