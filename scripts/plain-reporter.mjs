// tap reporter: passes the raw TAP through and ends the run with the failed tests (each with
// the first lines of its diagnostics) and one plain line, `N passed, N failed, N skipped`, which
// tap's own summaries are not. The end is what CI logs keep when they keep only the tail.
// tap pipes into the reporter and pipes the reporter to stdout, so this must be a Transform
// (a bare Writable crashes with ERR_STREAM_CANNOT_PIPE). tap's exit code is untouched: a
// coverage failure would still exit 1 with "0 failed", hence allow-incomplete-coverage.
// CC_EXTRA_FAILED (set by scripts/test.sh) adds checks that failed outside tap (the typecheck).
import { Transform } from 'node:stream'
import { FailureCollector } from './lib/tap-failures.mjs'

export default class PlainReporter extends Transform {
  #tail = ''
  #failures = new FailureCollector()

  _transform(chunk, _encoding, callback) {
    this.#failures.push(String(chunk))
    // the top-level summary comment `# { total: N, pass: N, ... }` is at the end
    this.#tail = (this.#tail + chunk).slice(-16384)
    callback(null, chunk)
  }

  _flush(callback) {
    const extra = Number(process.env.CC_EXTRA_FAILED ?? 0) || 0
    const summary = this.#tail.split('\n').filter((l) => /^# \{ total: \d+/.test(l)).at(-1)
    const count = (key) => Number(summary?.match(new RegExp(`\\b${key}: (\\d+)`))?.[1] ?? 0)
    const notes = this.#failures.report()
    if (summary === undefined) notes.push('# tap printed no summary: counted as 1 failure')
    if (extra > 0) notes.push(`# ${extra} check(s) outside tap failed (see above): counted as failures`)
    const failed = count('fail') + extra + (summary === undefined ? 1 : 0)
    const line = `${count('pass')} passed, ${failed} failed, ${count('skip') + count('todo')} skipped`
    callback(null, [...notes, line].join('\n') + '\n')
  }
}
