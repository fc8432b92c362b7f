// Process helpers for the e2e harness: run a command (in a netns) and start background servers.
// Everything goes through execa argument arrays (no shell). Children get a clean environment
// (test/lib/child-env.ts).
import { execa, type ResultPromise } from 'execa'
import { fileURLToPath } from 'node:url'
import type { Netns } from './types.js'
import { childEnv } from '../../lib/child-env.js'

export { childEnv }

/** Absolute path of the repository root (no trailing slash). */
export const repoRoot: string = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '')

/** Output of a finished command; exitCode is -1 when it was killed (timeout) or could not start. */
export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunOptions {
  input?: string
  env?: Record<string, string>
  timeoutMs?: number
}

// tap's processinfo wraps child_process in the test process and puts its loader back into every
// child's NODE_OPTIONS, whatever env is passed (so childEnv alone cannot drop it): `env -u` takes
// it out for real, so plugins and runtimes start as a node starts them, not instrumented by tap
const WITHOUT_TAP = ['-u', 'NODE_OPTIONS', '--']

/** argv for `cmd args` inside `ns` (`ip netns exec NAME ...`) or in the current namespace. */
export const inNetns = (ns: Netns | undefined, cmd: string, args: readonly string[]): [string, string[]] =>
  ns ? ['env', [...WITHOUT_TAP, 'ip', 'netns', 'exec', ns.name, cmd, ...args]] : ['env', [...WITHOUT_TAP, cmd, ...args]]

/**
 * run executes `cmd args` in `ns` (or here when undefined) and never throws on a non-zero exit.
 * Default timeout 30 s; a timed-out command reports exitCode -1.
 */
export const run = async (ns: Netns | undefined, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> => {
  const [file, argv] = inNetns(ns, cmd, args)
  const r = await execa(file, argv, {
    reject: false,
    env: childEnv(opts.env),
    extendEnv: false,
    timeout: opts.timeoutMs ?? 30_000,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
  })
  return {
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '') || (r.failed && r.exitCode === undefined ? r.shortMessage ?? '' : ''),
    exitCode: r.exitCode ?? -1,
  }
}

/** runOk is run() that throws with the command line and stderr when the exit code is not 0. */
export const runOk = async (ns: Netns | undefined, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> => {
  const r = await run(ns, cmd, args, opts)
  if (r.exitCode !== 0) {
    const where = ns ? ` (in ${ns.name})` : ''
    throw new Error(`${cmd} ${args.join(' ')}${where} exited ${r.exitCode}: ${r.stderr.trim()}`)
  }
  return r
}

/**
 * spawnBackground starts a long-running command in its own process group (so forked children
 * die with it). Returns the child; kill it with killGroup(child.pid).
 */
export const spawnBackground = (ns: Netns | undefined, cmd: string, args: string[]): ResultPromise => {
  const [file, argv] = inNetns(ns, cmd, args)
  const child = execa(file, argv, {
    reject: false,
    detached: true,
    env: childEnv(),
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: { stderr: true },
  })
  return child
}

/** killGroup sends SIGKILL to the process group led by `pid` (ignores ESRCH). */
export const killGroup = (pid: number | undefined): void => {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** sleep resolves after ms milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
