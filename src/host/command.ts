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
    if (commands.some((c) => c.some((a) => a === '' || /[\s"'\\#]/.test(a)))) {
      await runEach(tool, commands, netns, opts?.continueOnError ?? false)
      return
    }
    const force = opts?.continueOnError ? ['-force'] : []
    await runTool(tool, [...force, '-batch', '-'], { netns, input: commands.map((c) => c.join(' ')).join('\n') + '\n' })
  },
  json: async <T>(args: string[], netns?: string) => {
    const { stdout } = await runTool(tool, ['-j', ...args], { netns })
    return JSON.parse(stdout === '' ? '[]' : stdout) as T
  },
})

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
