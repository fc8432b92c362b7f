// The real ip and tc seams: argument arrays, several commands for one namespace in one `-batch -`.
import { runTool } from './exec.js'
import type { CommandHost } from './types.js'

/** commandHost runs a tool that reads `-batch -` from stdin (ip, tc) and prints JSON with -j. */
export const commandHost = (tool: 'ip' | 'tc'): CommandHost => ({
  run: async (commands, netns, opts) => {
    if (commands.length === 0) return
    if (commands.length === 1) {
      await runTool(tool, commands[0] as string[], { netns })
      return
    }
    // batch lines are split on whitespace by the tool; plugins validate every value first
    for (const c of commands) {
      if (c.some((a) => a === '' || /[\s"'\\#]/.test(a))) throw new Error(`${tool}: argument not batch-safe in ${JSON.stringify(c)}`)
    }
    const force = opts?.continueOnError ? ['-force'] : []
    await runTool(tool, [...force, '-batch', '-'], { netns, input: commands.map((c) => c.join(' ')).join('\n') + '\n' })
  },
  json: async <T>(args: string[], netns?: string) => {
    const { stdout } = await runTool(tool, ['-j', ...args], { netns })
    return JSON.parse(stdout === '' ? '[]' : stdout) as T
  },
})
