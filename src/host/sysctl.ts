// The real sysctl seam: /proc/sys directly in our own namespace, `nsenter` + grep/sysctl in another.
import { writeFile } from 'node:fs/promises'
import { runTool } from './exec.js'
import { realFiles } from './files.js'
import { HostError, type SysctlHost } from './types.js'

const SYSCTL_KEY = /^net\/[A-Za-z0-9_.\-/]+$/
const assertSysctlKey = (key: string): void => {
  if (!SYSCTL_KEY.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`refusing sysctl key ${JSON.stringify(key)}`)
  }
}

/** realSysctl reads and writes net.* sysctls (slash-form keys). */
export const realSysctl: SysctlHost = {
  read: async (keys, netns) => {
    keys.forEach(assertSysctlKey)
    if (keys.length === 0) return []
    const paths = keys.map((k) => `/proc/sys/${k}`)
    // our own namespace: read the files directly, no process to start
    if (!netns) return Promise.all(paths.map(async (p) => (await realFiles.read(p))?.replace(/\n$/, '')))
    // grep -H prints "path:value" for each readable file; missing files are skipped (exit 2)
    const { stdout } = await runTool('grep', ['-H', '-s', '', ...paths], { netns, okExitCodes: [1, 2] })
    const values = new Map<string, string>()
    for (const line of stdout.split('\n')) {
      const path = paths.find((p) => line.startsWith(`${p}:`))
      if (path !== undefined) values.set(path, line.slice(path.length + 1))
    }
    return paths.map((p) => values.get(p))
  },
  write: async (entries, netns) => {
    if (entries.length === 0) return
    for (const [k, v] of entries) {
      assertSysctlKey(k)
      if (/[\n\0]/.test(v)) throw new Error(`refusing sysctl value ${JSON.stringify(v)}`)
    }
    if (!netns) {
      // our own namespace: write the files directly, in order, like `sysctl -w` (all attempted)
      const failures: string[] = []
      for (const [k, v] of entries) {
        try {
          await writeFile(`/proc/sys/${k}`, v)
        } catch (err) {
          failures.push(`${k}: ${(err as Error).message}`)
        }
      }
      if (failures.length > 0) throw new HostError('sysctl', entries.map(([k, v]) => `${k}=${v}`), failures.join('; '))
      return
    }
    await runTool('sysctl', ['-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)], { netns })
  },
}
