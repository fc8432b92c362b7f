// The one module that starts processes (execa, argument arrays, never a shell). A namespace is
// entered with `nsenter --net=PATH` in front of the tool, so any netns path works (/proc/PID/ns/net too).
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

/** runTool runs `tool args...` (in opts.netns) and returns its output; throws HostError on failure. */
export const runTool = async (tool: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolOutput> => {
  const [file, argv] = opts.netns ? ['nsenter', [`--net=${opts.netns}`, '--', tool, ...args]] : [tool, [...args]]
  // loaded on the first call, not at start-up: VERSION and refused configs never start a process
  const { execa } = await import('execa')
  const r = await execa(file, argv, {
    reject: false,
    timeout: opts.timeoutMs ?? 30_000,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
  })
  const exitCode = r.exitCode ?? -1
  const ok = exitCode === 0 || (opts.okExitCodes ?? []).includes(exitCode)
  if (!ok || r.failed && exitCode === -1) {
    throw new HostError(tool, args, String(r.stderr || r.shortMessage || ''))
  }
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode }
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
