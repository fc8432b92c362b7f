// Finding a system tool: CNI runtimes often pass a PATH without the sbin directories, where
// iptables and firewall-cmd live. Looks on PATH, then /usr/sbin and /sbin; caches the answer.
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, join } from 'node:path'

const found = new Map<string, string | undefined>()

/** toolPath returns the absolute path of an executable tool, or undefined when there is none. */
export const toolPath = async (tool: string): Promise<string | undefined> => {
  if (found.has(tool)) return found.get(tool)
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(tool)) throw new Error(`bad tool name ${JSON.stringify(tool)}`)
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter((d) => d.startsWith('/'))
  let path: string | undefined
  for (const dir of dirs) {
    try {
      await access(join(dir, tool), constants.X_OK)
      path = join(dir, tool)
      break
    } catch {
      // not here
    }
  }
  found.set(tool, path)
  return path
}
