// PluginIO: everything a plugin process reads or writes, injected so tests never touch process state.
import { readFileSync, writeSync } from 'node:fs'
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
    // plain reads of fd 0 first: touching process.stdin builds a stream stack that costs ~5 ms of
    // start-up; the stream stays the fallback for a non-blocking stdin (EAGAIN) and the like
    try {
      return readFileSync(0, 'utf8')
    } catch {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    }
  },
  stdout: (text) => writeAll(1, text, (b) => process.stdout.write(b)),
  stderr: (text) => writeAll(2, text, (b) => process.stderr.write(b)),
  inspectNetns: netnsProblem,
})

/** set once a write went through a stream (which may still hold bytes) */
let streamed = false

/** writeAll writes text to fd with plain writes (no stream at start-up); what is left goes to `rest` on an error */
const writeAll = (fd: number, text: string, rest: (bytes: Buffer) => void): void => {
  const bytes = Buffer.from(text, 'utf8')
  let done = 0
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done)
  } catch {
    streamed = true
    rest(bytes.subarray(done))
  }
}

/**
 * exitProcess ends the plugin process with code once its answer is written. With every byte
 * written by plain writes it exits at once: Node's orderly end after an empty event loop (freeing
 * the environment and the heap) costs a few ms a runtime waits for and nothing needs. A stream
 * that may still hold bytes gets that orderly end, which drains it.
 */
export const exitProcess = (code: number): void => {
  if (streamed) process.exitCode = code
  else process.exit(code)
}
