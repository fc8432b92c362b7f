// Shared by the property tests: a seeded generator (the seed is printed; PROPERTY_SEED=N replays
// a run, PROPERTY_RUNS=N changes how many configs), a plugin call through the real dispatcher on
// a semantic fake host, and the failure-injection loop.
import type { Test } from 'tap'
import type { SemanticHost } from '../../../src/host/fake/index.js'
import type { MetaPlugin } from '../../../src/plan/meta-plugin.js'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'

export { rng, type Rng } from '../../lib/rng.js'

/** seedFromEnv: PROPERTY_SEED when set, else a fresh one; the test prints it either way. */
export const seedFromEnv = (t: Test): number => {
  const env = process.env.PROPERTY_SEED
  const seed = env !== undefined && /^\d+$/.test(env) ? Number(env) : Math.floor(Math.random() * 2 ** 31)
  t.comment(`property seed ${seed} (replay: PROPERTY_SEED=${seed})`)
  return seed
}

export const runsFromEnv = (dflt: number): number => {
  const n = Number(process.env.PROPERTY_RUNS)
  return Number.isInteger(n) && n > 0 ? n : dflt
}

export interface CallResult {
  code: number
  out: any
  stdout: string
}

/** call runs one verb of `meta` through the dispatcher (as the binary does) on `host`. */
export const call = async (meta: MetaPlugin, host: SemanticHost, env: Record<string, string>, conf: unknown): Promise<CallResult> => {
  let stdout = ''
  const stdin = JSON.stringify(conf)
  const code = await runPlugin(pluginFromMeta(meta), {
    env: { CNI_PATH: '/opt/cni/bin', ...env },
    readStdin: async () => stdin,
    stdout: (text) => void (stdout += text),
    stderr: () => undefined,
  }, () => host)
  return { code, stdout, out: stdout.trim() === '' ? undefined : JSON.parse(stdout) }
}

/** atLeast reports whether spec version v allows CHECK (>= 0.4.0). */
export const allowsCheck = (v: string): boolean => !v.startsWith('0.3') && v !== '0.2.0' && v !== '0.1.0'
