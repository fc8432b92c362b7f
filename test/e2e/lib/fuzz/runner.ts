// The test side of the fuzz runners: bundles runner-main.ts once, starts runner processes inside
// the node namespace (each with its own TMPDIR and working directory under the test's temp dir,
// so files a plugin leaves behind are seen), and exchanges batches with them.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { bundleCjs } from '../bundle.js'
import { execa, type ResultPromise } from 'execa'
import type { Test } from 'tap'
import { childEnv } from '../../../lib/child-env.js'
import { track, untrack } from '../leftovers.js'
import { inNetns } from '../proc.js'
import type { Netns } from '../types.js'
import type { CaseOutcome, FuzzCase } from './types.js'

export interface FuzzRunner {
  /** TMPDIR and cwd of the runner and of the plugins it starts */
  dir: string
  run(cases: FuzzCase[], timeoutMs: number): Promise<{ outcomes: CaseOutcome[]; stray: string }>
}

/** bundleRunner builds runner-main.ts into dir/fuzz-runner.cjs (esbuild, as the plugins are built). */
export const bundleRunner = (dir: string): Promise<string> =>
  // the bundled plugins use import.meta.url, as bin/ does
  bundleCjs('test/e2e/lib/fuzz/runner-main.ts', join(dir, 'fuzz-runner.cjs'), { importMetaUrl: true })

/**
 * startRunner starts one runner in `node` (killed in t.teardown). `binDir` holds the plugin
 * binaries the "binary" cases run.
 */
export const startRunner = async (t: Test, node: Netns, script: string, dir: string, binDir: string, callTimeoutMs: number): Promise<FuzzRunner> => {
  await mkdir(dir, { recursive: true })
  const [file, argv] = inNetns(node, process.execPath, [script])
  const child: ResultPromise = execa(file, argv, {
    reject: false,
    detached: true,
    cwd: dir,
    env: childEnv({ TMPDIR: dir, FUZZ_BIN_DIR: binDir, FUZZ_CALL_TIMEOUT_MS: String(callTimeoutMs), FUZZ_TRACE: `${dir}.trace` }),
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    maxBuffer: 1e9,
  })
  const pid = child.pid
  if (pid !== undefined) track.group(pid)
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => void (stderr += c.toString('utf8')))
  const waiting: ((line: string) => void)[] = []
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity })
  lines.on('line', (line) => waiting.shift()?.(line))
  let exited = false
  void child.then(() => {
    exited = true
  })
  t.teardown(async () => {
    child.stdin?.end()
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // gone
      }
      untrack.group(pid)
    }
    await child
  })
  return {
    dir,
    run: (cases, timeoutMs) => new Promise((resolve, reject) => {
      if (exited) {
        reject(new Error(`fuzz runner exited: ${stderr.slice(-2000)}`))
        return
      }
      const timer = setTimeout(() => reject(new Error(`fuzz runner: no answer for a batch of ${cases.length} cases in ${timeoutMs} ms (cases ${cases.map((c) => c.n).join(',')})`)), timeoutMs)
      waiting.push((line) => {
        clearTimeout(timer)
        try {
          resolve(JSON.parse(line) as { outcomes: CaseOutcome[]; stray: string })
        } catch (e) {
          reject(new Error(`fuzz runner: bad answer ${line.slice(0, 500)}: ${(e as Error).message}; stderr ${stderr.slice(-2000)}`))
        }
      })
      child.stdin?.write(`${JSON.stringify({ cases })}\n`)
    }),
  }
}
