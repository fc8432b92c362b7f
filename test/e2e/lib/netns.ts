// Network namespaces named cc-<role>-<rand>: unique per call, so e2e files can run in parallel.
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { track, untrack } from './leftovers.js'
import { run, runOk } from './proc.js'
import type { Netns } from './types.js'

const ROLE = /^[a-z0-9][a-z0-9-]{0,15}$/

/** randomId returns `bytes` random bytes as hex. */
export const randomId = (bytes = 4): string => randomBytes(bytes).toString('hex')

/**
 * createNetns adds `cc-<role>-<suffix>` with lo up and registers its deletion on t.teardown.
 * Deleting a namespace destroys its links, routes, nft tables and sysctls with it.
 */
export const createNetns = async (t: Test, role: string, suffix = randomId()): Promise<Netns> => {
  if (!ROLE.test(role)) throw new Error(`bad netns role ${JSON.stringify(role)}: want [a-z0-9-], at most 16`)
  const name = `cc-${role}-${suffix}`
  await runOk(undefined, 'ip', ['netns', 'add', name])
  track.netns(name)
  t.teardown(() => deleteNetns(name))
  const ns = { name, path: `/run/netns/${name}` }
  await runOk(ns, 'ip', ['link', 'set', 'lo', 'up'])
  return ns
}

/** deleteNetns removes the namespace (idempotent). */
export const deleteNetns = async (name: string): Promise<void> => {
  await run(undefined, 'ip', ['netns', 'del', name], { timeoutMs: 10_000 })
  untrack.netns(name)
}

/** writeSysctl sets a sysctl (slash or dot form) inside ns. */
export const writeSysctl = async (ns: Netns, key: string, value: string): Promise<void> => {
  await runOk(ns, 'sysctl', ['-q', '-w', `${key}=${value}`])
}
