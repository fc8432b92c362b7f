// The real ip and tc seams: argument arrays, several commands for one namespace in one `-batch -`.
import { runTool } from './exec.js'
import { HostError, type CommandHost, type NetnsPath } from './types.js'

/** commandHost runs a tool that reads `-batch -` from stdin (ip, tc) and prints JSON with -j. */
export const commandHost = (tool: 'ip' | 'tc'): CommandHost => ({
  run: async (commands, netns, opts) => {
    if (commands.length === 0) return
    if (commands.length === 1) {
      await runTool(tool, commands[0] as string[], { netns })
      return
    }
    // batch lines are split on whitespace and quotes by the tool: a command with an argument it
    // would re-split (libcni allows quotes in interface names) runs as its own process instead
    if (commands.some(unbatchable)) {
      await runEach(tool, commands, netns, opts?.continueOnError ?? false)
      return
    }
    const force = opts?.continueOnError ? ['-force'] : []
    await runTool(tool, [...force, '-batch', '-'], { netns, input: commands.map((c) => c.join(' ')).join('\n') + '\n' })
  },
  json: tool === 'tc' ? sharedReads(tool) : readOne(tool),
})

const unbatchable = (args: readonly string[]): boolean => args.some((a) => a === '' || /[\s"'\\#]/.test(a))

/** readOne runs one `TOOL -j ARGS` read. */
const readOne = (tool: 'ip' | 'tc') => async <T>(args: string[], netns?: string): Promise<T> => {
  const { stdout } = await runTool(tool, ['-j', ...args], { netns })
  return JSON.parse(stdout === '' ? '[]' : stdout) as T
}

interface Waiting {
  args: string[]
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

/**
 * sharedReads: tc reads asked in the same tick for one namespace share one `tc -j -batch -`
 * process. tc dumps every link of the namespace when it starts a listing (its name map), ~15 ms
 * with 1,000 links on this VM, so bandwidth's two or three reads of a veth cost that once, not each
 * time (the `ip` reads are by name and stay one process each). A batch that fails (a device gone)
 * or prints another number of results than it was given is asked again one read per process, so
 * every caller gets exactly the answer or the error its own read would have given.
 */
const sharedReads = (tool: 'tc') => {
  const single = readOne(tool)
  const pending = new Map<string, { netns: string | undefined; reads: Waiting[] }>()
  const alone = (w: Waiting, netns: string | undefined): void => void single(w.args, netns).then(w.resolve, w.reject)
  const flush = async (key: string): Promise<void> => {
    const batch = pending.get(key)
    pending.delete(key)
    if (!batch) return
    const { netns, reads } = batch
    if (reads.length === 1) return alone(reads[0] as Waiting, netns)
    let outputs: unknown[] | undefined
    try {
      const { stdout } = await runTool(tool, ['-j', '-batch', '-'], { netns, input: reads.map((r) => r.args.join(' ')).join('\n') + '\n' })
      const lines = stdout.split('\n').filter((l) => l.trim() !== '')
      if (lines.length === reads.length) outputs = lines.map((l) => JSON.parse(l) as unknown)
    } catch {
      outputs = undefined
    }
    reads.forEach((r, i) => (outputs ? r.resolve(outputs[i]) : alone(r, netns)))
  }
  return <T>(args: string[], netns?: string): Promise<T> => {
    if (unbatchable(args)) return single<T>(args, netns)
    return new Promise<T>((resolve, reject) => {
      const key = netns ?? ''
      let batch = pending.get(key)
      if (!batch) {
        batch = { netns, reads: [] }
        pending.set(key, batch)
        queueMicrotask(() => void flush(key))
      }
      batch.reads.push({ args, resolve: resolve as (v: unknown) => void, reject })
    })
  }
}

/**
 * runEach runs the commands one process each, with -batch's semantics: stop at the first failure
 * (named `Command failed -:N`, counted from 1), or with continueOnError run all and then fail.
 */
const runEach = async (tool: 'ip' | 'tc', commands: string[][], netns: NetnsPath, continueOnError: boolean): Promise<void> => {
  let first: { n: number; err: unknown } | undefined
  for (const [i, c] of commands.entries()) {
    try {
      await runTool(tool, c, { netns })
    } catch (err) {
      first ??= { n: i + 1, err }
      if (!continueOnError) break
    }
  }
  if (!first) return
  const stderr = first.err instanceof HostError ? first.err.stderr : String(first.err)
  throw new HostError(tool, ['-batch', '-'], `${stderr.trimEnd()}\nCommand failed -:${first.n}\n`)
}
