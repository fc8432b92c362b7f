// How the fake's tools fail: ToolFailure carries what the real tool prints on stderr (the command
// host turns it into a HostError, batch line included); unsupported() is for command shapes the
// fake does not model, so a test never passes on a form the fake silently ignored.

/** ToolFailure: the real tool would exit non-zero printing `stderr`. */
export class ToolFailure extends Error {
  constructor(readonly stderr: string) {
    super(stderr.trim())
    this.name = 'ToolFailure'
  }
}

/** fail throws a ToolFailure with stderr ending in a newline. */
export const fail = (stderr: string): never => {
  throw new ToolFailure(stderr.endsWith('\n') ? stderr : `${stderr}\n`)
}

/** unsupported throws a plain Error naming what the semantic fake cannot do. */
export const unsupported = (tool: string, args: readonly string[]): never => {
  throw new Error(`semantic fake ${tool}: unsupported command ${JSON.stringify(args)}`)
}
