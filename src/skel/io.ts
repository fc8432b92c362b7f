// PluginIO: everything a plugin process reads or writes, injected so tests never touch process state.
import { netnsProblem } from '../host/netns.js'

export interface PluginIO {
  env: Record<string, string | undefined>
  /** reads all of stdin */
  readStdin(): Promise<string>
  stdout(text: string): void
  stderr(text: string): void
  /**
   * inspectNetns tells why a CNI_NETNS path is not a network namespace (undefined: it is one).
   * The dispatcher asks before ADD and CHECK; without it (tests on fake hosts) nothing is checked.
   */
  inspectNetns?(path: string): Promise<string | undefined>
}

/** processIO is the PluginIO of the running process. */
export const processIO = (): PluginIO => ({
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  inspectNetns: netnsProblem,
})
