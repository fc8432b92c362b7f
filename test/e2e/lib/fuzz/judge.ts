// The fuzz oracle (pure): what every call must end in, whatever its input.
//  - no hang, no crash, no prototype pollution, nothing written outside a call;
//  - no stack trace on stdout or stderr (a "    at f (file:1:2)" frame, or an "Error:" line with frames);
//  - exit 0: stdout is the verb's answer (ADD a result in the request's version, VERSION the
//    version object, other verbs nothing); without CNI_COMMAND, nothing on stdout and the about
//    line on stderr;
//  - exit non-zero: stdout is one CNI error object: an integer spec code (1-7, 11, 50, 51, 100+,
//    999), a non-empty msg, optional string details and cniVersion, nothing else; a 999 carrying
//    a JavaScript engine message (a TypeError's "Cannot read properties of undefined", ...) is a
//    bug that escaped as "internal";
//  - the case's expectation (ok / error) holds, and after an ADD that succeeded, CHECK (valid
//    cases) and DEL succeed.
import type { CallOutcome, CaseOutcome, FuzzCase } from './types.js'

const FRAME = /^\s+at\s+(?:.+\s\()?(?:\/|node:|file:|<anonymous>|native|\w+\.(?:js|cjs|ts)).*(?::\d+:\d+\)?|\))\s*$/m
const ENGINE_MESSAGE = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|undefined is not|null is not|Maximum call stack|Invalid array length|Invalid string length|Cannot convert|toString is not|Cannot destructure|of undefined|of null\b|\[object Object\]|Converting circular/
const SPEC_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 11, 50, 51, 999])
const ERROR_KEYS = new Set(['cniVersion', 'code', 'msg', 'details'])

const parseOne = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const short = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s)

/** errorProblems: why stdout is not one well-formed CNI error object ([] when it is). */
export const errorProblems = (stdout: string): string[] => {
  const e = parseOne(stdout.trim()) as Record<string, unknown> | undefined
  if (!e || typeof e !== 'object' || Array.isArray(e)) return [`stdout is not a JSON error object: ${JSON.stringify(short(stdout))}`]
  const out: string[] = []
  const code = e.code
  if (typeof code !== 'number' || !Number.isInteger(code)) out.push(`code ${JSON.stringify(code)} is not an integer`)
  else if (!SPEC_CODES.has(code) && !(code >= 100 && code < 999)) out.push(`code ${code} is not a spec code`)
  if (typeof e.msg !== 'string' || e.msg.trim() === '') out.push(`msg ${JSON.stringify(e.msg)} is not a non-empty string`)
  if (e.details !== undefined && typeof e.details !== 'string') out.push('details is not a string')
  if (e.cniVersion !== undefined && typeof e.cniVersion !== 'string') out.push('cniVersion is not a string')
  const extra = Object.keys(e).filter((k) => !ERROR_KEYS.has(k))
  if (extra.length > 0) out.push(`unexpected keys ${extra.join(', ')}`)
  if (code === 999 && ENGINE_MESSAGE.test(`${String(e.msg)} ${String(e.details ?? '')}`)) {
    out.push(`internal error with a JavaScript engine message (an unhandled input): ${short(`${String(e.msg)} ${String(e.details ?? '')}`)}`)
  }
  return out
}

/** stackProblems: a stack trace in the output. */
export const stackProblems = (o: Pick<CallOutcome, 'stdout' | 'stderr'>): string[] => {
  const out: string[] = []
  for (const [name, text] of [['stdout', o.stdout], ['stderr', o.stderr]] as const) {
    const m = FRAME.exec(text)
    if (m) out.push(`stack frame on ${name}: ${JSON.stringify(short(m[0].trim(), 200))}`)
  }
  return out
}

const requestVersion = (stdin: string): string | undefined => {
  const conf = parseOne(stdin) as Record<string, unknown> | undefined
  return typeof conf?.cniVersion === 'string' ? conf.cniVersion : undefined
}

/** callProblems: the rules for one call made with `env` and `stdin`. */
export const callProblems = (o: CallOutcome, env: Record<string, string>, stdin: string): string[] => {
  if (o.timedOut) return [`no answer within the call timeout (${o.ms} ms): a hang`]
  const out: string[] = []
  if (o.crashed) out.push(`crashed: ${short(o.crashed, 2000)}`)
  out.push(...stackProblems(o))
  const command = env.CNI_COMMAND ?? ''
  if (o.exitCode === 0) {
    if (command === '') {
      if (o.stdout !== '') out.push(`no CNI_COMMAND: stdout must be empty, got ${JSON.stringify(short(o.stdout))}`)
      if (!/CNI protocol versions supported/.test(o.stderr)) out.push('no CNI_COMMAND: no about line on stderr')
    } else if (command === 'ADD') {
      const r = parseOne(o.stdout.trim()) as Record<string, unknown> | undefined
      if (!r || typeof r !== 'object' || Array.isArray(r)) out.push(`ADD succeeded without a JSON result: ${JSON.stringify(short(o.stdout))}`)
      else if (r.cniVersion !== requestVersion(stdin)) out.push(`ADD result cniVersion ${JSON.stringify(r.cniVersion)} is not the request's ${JSON.stringify(requestVersion(stdin))}`)
    } else if (command === 'VERSION') {
      const v = parseOne(o.stdout.trim()) as Record<string, unknown> | undefined
      if (!v || typeof v.cniVersion !== 'string' || !Array.isArray(v.supportedVersions)) out.push(`VERSION answer is not a version object: ${JSON.stringify(short(o.stdout))}`)
    } else if (o.stdout.trim() !== '') {
      out.push(`${command} succeeded but printed ${JSON.stringify(short(o.stdout))}`)
    }
  } else {
    if (o.exitCode < 0) out.push(`exit code ${o.exitCode} (killed or not started)`)
    out.push(...errorProblems(o.stdout))
  }
  return out
}

/** judge: every problem of one case ([] = it passed). */
export const judge = (c: FuzzCase, o: CaseOutcome): string[] => {
  const out = callProblems(o.main, c.call.env, c.call.stdin).map((p) => `${c.call.env.CNI_COMMAND ?? '(none)'}: ${p}`)
  if (!o.main.timedOut) {
    if (c.expect === 'ok' && o.main.exitCode !== 0) out.push(`a valid call failed: ${short(o.main.stdout, 1000)}`)
    if (c.expect === 'error' && o.main.exitCode === 0) out.push('an invalid call succeeded')
    if (c.expect === 'about' && (o.main.exitCode !== 0 || o.main.stdout !== '')) out.push('no CNI_COMMAND: expected exit 0, the about line and an empty stdout')
  }
  // a repeated ADD may refuse (well-formed); CHECK, DEL and a second DEL must succeed
  if (o.readd) out.push(...callProblems(o.readd, c.call.env, c.call.stdin).map((p) => `the same ADD again: ${p}`))
  for (const [verb, f, what] of [['CHECK', o.check, 'CHECK'], ['DEL', o.del, 'DEL'], ['DEL', o.del2, 'a second DEL']] as const) {
    if (!f) continue
    const env = { ...c.call.env, CNI_COMMAND: verb }
    out.push(...callProblems(f, env, '').map((p) => `${what} after the ADD: ${p}`))
    if (f.exitCode !== 0 && !f.timedOut) out.push(`${what} after a successful ADD failed: ${short(f.stdout, 1000)}`)
  }
  if (c.cleanup && c.call.env.CNI_COMMAND === 'ADD' && o.main.exitCode === 0 && !o.del) out.push('ADD succeeded but no DEL ran')
  if (o.pollution) out.push(o.pollution)
  return out
}
