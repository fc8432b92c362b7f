// ip and tc behind the CommandHost interface, with the real module's batch semantics
// (src/host/command.ts): one command runs alone; several run as `-batch -` and stop at the first
// failure, whose stderr ends in `Command failed -:N`; with continueOnError (`-force`) all run and
// the call fails at the end with every failure's text. A namespace that does not exist fails the
// whole call as nsenter would.
import { HostError, type CommandHost, type RunCommandOptions } from '../types.js'
import { atomically } from './atomic.js'
import { keyFor, type EffectGate } from './effects.js'
import { ToolFailure } from './errors.js'
import { HOST_NS, type World } from './model.js'

type Runner = (world: World, ns: string, args: readonly string[]) => void
type Reader = (world: World, ns: string, args: readonly string[]) => unknown

/** nsKey maps a Host netns argument to the fake's namespace key, or throws nsenter's failure. */
export const nsKey = (world: World, tool: string, args: readonly string[], netns: string | undefined): string => {
  const key = netns ?? HOST_NS
  if (!world.namespaces.has(key)) throw new HostError(tool, args, `nsenter: cannot open ${netns ?? '(own namespace)'}: No such file or directory\n`)
  return key
}

const batchSafe = (tool: string, c: readonly string[]): void => {
  if (c.some((a) => a === '' || /[\s"'\\#]/.test(a))) throw new Error(`${tool}: argument not batch-safe in ${JSON.stringify(c)}`)
}

export const fakeCommandHost = (tool: 'ip' | 'tc', world: World, gate: EffectGate, run: Runner, read: Reader): CommandHost => ({
  run: async (commands: string[][], netns?: string, opts?: RunCommandOptions) => {
    if (commands.length === 0) return
    const batch = commands.length > 1
    const toolArgs = batch ? [...(opts?.continueOnError ? ['-force'] : []), '-batch', '-'] : (commands[0] as string[])
    if (batch) commands.forEach((c) => batchSafe(tool, c))
    const ns = nsKey(world, tool, toolArgs, netns)
    let stderr = ''
    for (const [i, c] of commands.entries()) {
      try {
        const injected = gate.enter({ tool, ...(netns !== undefined ? { netns } : {}), args: [...c] })
        if (injected !== undefined) throw new ToolFailure(`${injected}\n`)
        atomically(world, () => run(world, ns, c))
      } catch (err) {
        if (!(err instanceof ToolFailure)) throw err
        stderr += batch ? `${err.stderr}Command failed -:${i + 1}\n` : err.stderr
        if (!opts?.continueOnError) break
      }
    }
    if (stderr !== '') throw new HostError(tool, toolArgs, stderr)
  },
  json: async <T>(args: string[], netns?: string): Promise<T> => {
    gate.reads.push(keyFor(tool, ['-j', ...args], netns))
    const ns = nsKey(world, tool, ['-j', ...args], netns)
    try {
      return structuredClone(read(world, ns, args)) as T
    } catch (err) {
      if (err instanceof ToolFailure) throw new HostError(tool, ['-j', ...args], err.stderr)
      throw err
    }
  },
})
