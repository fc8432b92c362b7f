// Entry point bundled by runner.ts and started inside the node namespace (a Node process cannot
// switch its own netns): runs fuzz cases one at a time, each through the dispatcher the binaries
// use (runPlugin with the plugin's definition, the real host and a netns check, as
// src/skel/main.ts does), or as the real binary (bin/<plugin>) for cases with mode "binary".
// Protocol: one JSON line per batch on stdin ({"cases": FuzzCase[]}); one JSON line per batch on
// stdout ({"outcomes": CaseOutcome[], "stray": string}). Whatever else is written to stdout or
// stderr while a case runs belongs to that case's call; anything written between cases is "stray".
import { spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { bandwidthPlugin } from '../../../../meta-plugins/bandwidth/plugin.js'
import { firewallPlugin } from '../../../../meta-plugins/firewall/plugin.js'
import { portmapPlugin } from '../../../../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../../../../meta-plugins/tuning/plugin.js'
import { chainPlugin } from '../../../../chain/plugin/chain-plugin.js'
import { createRealHost } from '../../../../src/host/real.js'
import { netnsProblem } from '../../../../src/host/netns.js'
import { pluginFromMeta } from '../../../../src/plan/meta-plugin.js'
import type { PluginDefinition } from '../../../../src/skel/plugin.js'
import { runPlugin } from '../../../../src/skel/run-plugin.js'
import type { CallOutcome, CaseOutcome, FuzzCase, Invocation, PluginName } from './types.js'

// what each binary's main.ts hands to pluginMain
const DEFINITIONS: Record<PluginName, PluginDefinition> = {
  tuning: pluginFromMeta(tuningPlugin),
  portmap: pluginFromMeta(portmapPlugin),
  bandwidth: pluginFromMeta(bandwidthPlugin),
  firewall: pluginFromMeta(firewallPlugin),
  chain: chainPlugin,
}

const BIN_DIR = process.env.FUZZ_BIN_DIR ?? ''
const CALL_TIMEOUT_MS = Number(process.env.FUZZ_CALL_TIMEOUT_MS ?? 60_000)

// every write to stdout/stderr goes to the current sink; the protocol writes with the saved originals
const writeOut = process.stdout.write.bind(process.stdout)
const stray = { out: '', err: '' }
let sink: { out: string; err: string } = stray
const capture = (which: 'out' | 'err') => (chunk: unknown, ...rest: unknown[]): boolean => {
  sink[which] += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
  const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined
  cb?.()
  return true
}
process.stdout.write = capture('out') as typeof process.stdout.write
process.stderr.write = capture('err') as typeof process.stderr.write
// an error escaping the dispatcher (a late rejection too) is recorded, never fatal
let escaped: string[] = []
const escape = (what: string) => (e: unknown) => {
  const text = `${what}: ${e instanceof Error ? e.stack : String(e)}`
  if (sink === stray) stray.err += `${text}\n`
  else escaped.push(text)
}
process.on('uncaughtException', escape('uncaughtException'))
process.on('unhandledRejection', escape('unhandledRejection'))

const protoKeys = (): string =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|')
const PROTO_BEFORE = protoKeys()

const inProcess = async (plugin: PluginName, call: Invocation): Promise<CallOutcome> => {
  sink = { out: '', err: '' }
  escaped = []
  const start = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), CALL_TIMEOUT_MS) })
  let exitCode = -1
  let crashed: string | undefined
  try {
    const r = await Promise.race([
      runPlugin(DEFINITIONS[plugin], {
        env: call.env,
        readStdin: async () => call.stdin,
        stdout: (text) => void (sink.out += text),
        stderr: (text) => void (sink.err += text),
        inspectNetns: netnsProblem,
      }, createRealHost),
      timeout,
    ])
    if (r === 'timeout') return { exitCode: -1, stdout: sink.out, stderr: sink.err, ms: Date.now() - start, timedOut: true }
    exitCode = r
  } catch (e) {
    crashed = `runPlugin threw: ${e instanceof Error ? e.stack : String(e)}`
  } finally {
    clearTimeout(timer)
  }
  // let late writes and rejections of this call land in its own output
  await new Promise((resolve) => setImmediate(resolve))
  if (escaped.length > 0) crashed = [crashed, ...escaped].filter(Boolean).join('\n')
  const out = { exitCode, stdout: sink.out, stderr: sink.err, ms: Date.now() - start, ...(crashed ? { crashed } : {}) }
  sink = stray
  return out
}

const asBinary = (plugin: PluginName, call: Invocation): Promise<CallOutcome> => new Promise((resolve) => {
  const start = Date.now()
  // what a runtime gives a plugin: its CNI_* variables and a PATH (the launcher needs node on it)
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: process.env.TMPDIR ?? '/tmp', ...call.env }
  let child: ReturnType<typeof spawn>
  try {
    child = spawn(join(BIN_DIR, plugin), [], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (e) {
    resolve({ exitCode: -1, stdout: '', stderr: '', ms: 0, crashed: `spawn failed: ${(e as Error).message}` })
    return
  }
  let stdout = ''
  let stderr = ''
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, CALL_TIMEOUT_MS)
  child.stdout?.on('data', (c: Buffer) => void (stdout += c.toString('utf8')))
  child.stderr?.on('data', (c: Buffer) => void (stderr += c.toString('utf8')))
  child.stdin?.on('error', () => undefined) // a plugin may exit before reading all of stdin
  child.stdin?.end(call.stdin)
  child.on('close', (code, signal) => {
    clearTimeout(timer)
    resolve({
      exitCode: code ?? -1, stdout, stderr, ms: Date.now() - start,
      ...(timedOut ? { timedOut } : {}), ...(signal && !timedOut ? { crashed: `killed by ${signal}` } : {}),
    })
  })
  child.on('error', (e) => {
    clearTimeout(timer)
    resolve({ exitCode: -1, stdout, stderr, ms: Date.now() - start, crashed: `spawn failed: ${e.message}` })
  })
})

const callOf = (c: FuzzCase, call: Invocation): Promise<CallOutcome> => (c.mode === 'binary' ? asBinary(c.plugin, call) : inProcess(c.plugin, call))

/** follow-up calls after an ADD that succeeded: the result becomes prevResult, as libcni's cache does */
const followUp = (c: FuzzCase, verb: 'CHECK' | 'DEL', result: unknown): Invocation => {
  const env = { ...c.call.env, CNI_COMMAND: verb }
  if (c.labels.length > 0 && verb === 'DEL') return { env, stdin: c.call.stdin }
  const conf = JSON.parse(c.call.stdin) as Record<string, unknown>
  conf.prevResult = result
  return { env, stdin: JSON.stringify(conf) }
}

// FUZZ_TRACE: a file that gets a line when each call starts and ends (to find a hang)
const TRACE = process.env.FUZZ_TRACE ?? ''
const trace = (line: string): void => {
  if (TRACE !== '') appendFileSync(TRACE, `${new Date().toISOString()} ${line}\n`)
}

const runCase = async (c: FuzzCase): Promise<CaseOutcome> => {
  trace(`case ${c.n} ${c.mode} ${c.plugin} ${c.call.env.CNI_COMMAND ?? ''}`)
  const main = await callOf(c, c.call)
  trace(`case ${c.n} main done: exit ${main.exitCode} in ${main.ms} ms`)
  const out: CaseOutcome = { n: c.n, main }
  if (c.cleanup && c.call.env.CNI_COMMAND === 'ADD' && main.exitCode === 0 && !main.timedOut) {
    const parse = (text: string): unknown => {
      try {
        return JSON.parse(text)
      } catch {
        return undefined
      }
    }
    let result = parse(main.stdout)
    if (c.readd) {
      out.readd = await callOf(c, c.call)
      if (out.readd.exitCode === 0) result = parse(out.readd.stdout) ?? result
    }
    if (c.check && result !== undefined) out.check = await callOf(c, followUp(c, 'CHECK', result))
    const del = followUp(c, 'DEL', result)
    out.del = await callOf(c, del)
    if (c.delTwice) out.del2 = await callOf(c, del)
    trace(`case ${c.n} cleanup done`)
  }
  const proto = protoKeys()
  if (proto !== PROTO_BEFORE) out.pollution = `prototype keys changed: ${proto}`
  return out
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  void (async () => {
    const { cases } = JSON.parse(line) as { cases: FuzzCase[] }
    const outcomes: CaseOutcome[] = []
    for (const c of cases) {
      try {
        outcomes.push(await runCase(c))
      } catch (e) {
        // the runner's own failure, reported as the case's so the batch still answers
        outcomes.push({ n: c.n, main: { exitCode: -1, stdout: '', stderr: '', ms: 0, crashed: `fuzz runner: ${e instanceof Error ? e.stack : String(e)}` } })
      }
    }
    const strayText = `${stray.out}${stray.err}`
    stray.out = ''
    stray.err = ''
    writeOut(`${JSON.stringify({ outcomes, stray: strayText })}\n`)
  })()
})
