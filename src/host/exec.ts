// The one module that starts processes: argument arrays, never a shell. A namespace is entered with
// `nsenter --net=PATH` in front of the tool, so any netns path works (/proc/PID/ns/net too).
// Tools (ip, tc, nft, sysctl... up to 15 per pod ADD) start through node:child_process directly:
// execa cost ~16 ms to load and ~2 ms of CPU per call on top of the spawn (profiled, issue 16).
// Plugin binaries (execWithInput: whole environment, SIGTERM then SIGKILL) keep execa.
import { spawn } from 'node:child_process'
import { HostError, type NetnsPath } from './types.js'

export interface ToolOutput {
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunOptions {
  netns?: NetnsPath
  /** written to the tool's stdin (works for `ip -batch -`; NOT for `nft -f -`, see nft.ts) */
  input?: string
  /** exit codes that are not failures (conntrack exits 1 when nothing matched) */
  okExitCodes?: readonly number[]
  timeoutMs?: number
}

/** a tool printing more than this is stopped (nft -j list of a huge foreign ruleset) */
const MAX_OUTPUT_BYTES = 256 << 20

interface Finished {
  stdout: string
  stderr: string
  /** null when a signal ended it or it never started */
  exitCode: number | null
  /** why it did not finish normally: a start error (ENOENT...), a timeout, too much output */
  problem?: string
}

/** spawnTool runs file argv (no shell, inherited environment) and collects its output; never throws. */
const spawnTool = (file: string, argv: string[], input: string | undefined, timeoutMs: number): Promise<Finished> =>
  new Promise((resolve) => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let bytes = 0
    let problem: string | undefined
    let settled = false
    const finish = (exitCode: number | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode, ...(problem ? { problem } : {}) })
    }
    const child = spawn(file, argv, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    const timer = setTimeout(() => {
      problem = `timed out after ${timeoutMs} ms`
      child.kill('SIGKILL')
    }, timeoutMs)
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      bytes += chunk.length
      if (bytes > MAX_OUTPUT_BYTES) {
        problem = `printed more than ${MAX_OUTPUT_BYTES} bytes`
        child.kill('SIGKILL')
        return
      }
      into.push(chunk)
    }
    child.stdout?.on('data', collect(out))
    child.stderr?.on('data', collect(err))
    child.on('error', (e: NodeJS.ErrnoException) => {
      problem ??= `${file}: ${e.code ?? e.message}`
      finish(null) // the process never started (ENOENT, EACCES)
    })
    child.on('close', (code) => finish(problem ? null : code))
    if (child.stdin) {
      child.stdin.on('error', () => {}) // EPIPE: the tool exited before reading everything; its exit code tells
      child.stdin.end(input)
    }
  })

// CNI_CHAIN_TRACE=1: every tool's start (ms since the process started) and duration on stderr,
// and when the process exits, for finding where a plugin call's time goes
let traceExit = false
const trace = (line: string): void => {
  if (!traceExit) {
    traceExit = true
    process.once('exit', () => process.stderr.write(`trace ${performance.now().toFixed(1)} exit\n`))
  }
  process.stderr.write(`trace ${line}\n`)
}

/** runTool runs `tool args...` (in opts.netns) and returns its output; throws HostError on failure. */
export const runTool = async (tool: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolOutput> => {
  const [file, argv] = opts.netns ? ['nsenter', [`--net=${opts.netns}`, '--', tool, ...args]] : [tool, [...args]]
  const t0 = performance.now()
  const r = await spawnTool(file, argv, opts.input, opts.timeoutMs ?? 30_000)
  if (process.env.CNI_CHAIN_TRACE) trace(`${t0.toFixed(1)} +${(performance.now() - t0).toFixed(1)}ms ${[file, ...argv].join(' ').slice(0, 120)}`)
  const exitCode = r.exitCode ?? -1
  const ok = r.problem === undefined && (exitCode === 0 || (opts.okExitCodes ?? []).includes(exitCode))
  if (!ok) throw new HostError(tool, args, r.stderr || r.problem || `exited ${exitCode}`)
  return { stdout: r.stdout, stderr: r.stderr, exitCode }
}

export interface ExecOptions {
  /** written to the process's stdin */
  input: string
  /** the whole environment of the process (nothing is inherited) */
  env: Record<string, string>
  timeoutMs: number
  /** after the timeout's SIGTERM, SIGKILL this much later */
  forceKillAfterMs?: number
}

/** What a program did: exitCode or signal when it ran, startError when it never did. */
export interface ExecResult {
  stdout: string
  stderr: string
  exitCode?: number
  signal?: string
  timedOut: boolean
  /** the process could not be started: errno code (ENOENT, EACCES, ETXTBSY...) and a message */
  startError?: { code?: string; message: string }
}

/**
 * execWithInput runs `file args...` (no shell, no netns) with `input` on stdin and exactly
 * `env`, and reports what happened without throwing: a plugin binary's exit code and output are
 * the caller's to decode (src/invoke/exec-plugin.ts).
 */
export const execWithInput = async (file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> => {
  const { execa } = await import('execa')
  const r = await execa(file, [...args], {
    input: opts.input,
    env: opts.env,
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: opts.forceKillAfterMs ?? 1000,
    stripFinalNewline: false,
    encoding: 'utf8',
  })
  const out: ExecResult = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: r.timedOut }
  if (r.exitCode !== undefined) out.exitCode = r.exitCode
  if (r.signal !== undefined) out.signal = r.signal
  if (r.exitCode === undefined && r.signal === undefined && !r.timedOut) {
    const code: string | undefined = r.code
    out.startError = { ...(code !== undefined ? { code } : {}), message: String(r.shortMessage ?? '') }
  }
  return out
}
