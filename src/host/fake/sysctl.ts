// sysctls per namespace: only keys that exist can be read or written (a missing key reads as
// undefined and fails a write, like /proc/sys); an integer sysctl refuses a non-integer (EINVAL)
// and stores the number as the kernel prints it. Like `sysctl -w`, a failing entry does not stop
// the others; the call fails at the end. Keys are checked as src/host/sysctl.ts checks them.
import { HostError, type SysctlHost } from '../types.js'
import { keyFor, type EffectGate } from './effects.js'
import { nsKey } from './command-host.js'
import type { World } from './model.js'

const SYSCTL_KEY = /^net\/[A-Za-z0-9_.\-/]+$/
const assertKey = (key: string): void => {
  if (!SYSCTL_KEY.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`refusing sysctl key ${JSON.stringify(key)}`)
  }
}

const INT = /^-?\d+$/

export const fakeSysctl = (world: World, gate: EffectGate): SysctlHost => ({
  read: async (keys, netns) => {
    keys.forEach(assertKey)
    gate.reads.push(keyFor('sysctl', keys, netns))
    if (keys.length === 0) return []
    const n = world.namespaces.get(nsKey(world, 'grep', ['-H', '-s', '', ...keys.map((k) => `/proc/sys/${k}`)], netns))
    return keys.map((k) => n?.sysctls.get(k))
  },
  write: async (entries, netns) => {
    if (entries.length === 0) return
    for (const [k, v] of entries) {
      assertKey(k)
      if (/[\n\0]/.test(v)) throw new Error(`refusing sysctl value ${JSON.stringify(v)}`)
    }
    const args = ['-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)]
    const n = world.namespaces.get(nsKey(world, 'sysctl', args, netns))
    const failures: string[] = []
    for (const [k, v] of entries) {
      const injected = gate.enter({ tool: 'sysctl', ...(netns !== undefined ? { netns } : {}), args: [k, v] })
      const now = n?.sysctls.get(k)
      if (injected !== undefined) failures.push(injected)
      else if (now === undefined) failures.push(`sysctl: cannot stat /proc/sys/${k}: No such file or directory`)
      else if (INT.test(now) && !/^\s*-?\d+\s*$/.test(v)) failures.push(`sysctl: setting key "${k}": Invalid argument`)
      else n?.sysctls.set(k, INT.test(now) ? String(parseInt(v, 10)) : v)
    }
    if (failures.length > 0) throw new HostError('sysctl', args, failures.join('\n') + '\n')
  },
})
