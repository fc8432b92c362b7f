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
