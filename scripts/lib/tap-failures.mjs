// Reads TAP 14 as it streams and keeps the failed assertions with the path of subtests that
// leads to each (file > subtest > ... > assertion) and the first lines of its YAML diagnostics.
// A failed subtest's own `not ok` (which only repeats that something inside failed) is skipped.
const MAX_FAILURES = 20
const MAX_DIAG_LINES = 30

export class FailureCollector {
  #partial = ''
  #subtests = [] // names of the open subtests by depth
  #failures = [] // { path: string[], depth, indent, diag: string[], skipping }
  #diagOf = null // the failure whose diagnostics are being read
  #last = undefined // the latest failure, kept or not
  #count = 0

  push(text) {
    const lines = (this.#partial + text).split('\n')
    this.#partial = lines.pop() ?? ''
    for (const line of lines) this.#line(line)
  }

  #line(line) {
    const indent = line.length - line.trimStart().length
    const depth = Math.floor(indent / 4)
    const body = line.trim()
    if (this.#diagOf !== null) {
      this.#diagLine(this.#diagOf, line)
      return
    }
    const subtest = body.match(/^# Subtest: (.*)$/)
    if (subtest) {
      this.#subtests.length = depth
      this.#subtests[depth] = subtest[1]
      return
    }
    const notOk = body.match(/^not ok \d+ - (.*?)(?: # time=[\d.]+m?s)?$/) ?? (body.startsWith('not ok') ? [body, body] : null)
    if (!notOk) return
    const path = [...this.#subtests.slice(0, depth), notOk[1]]
    const last = this.#last
    // the subtest that holds the last failure reporting that it failed
    const wraps = last !== undefined && last.depth > depth && path.every((name, i) => last.path[i] === name)
    if (wraps) return
    this.#count++
    const failure = { path, depth, indent, diag: [], skipping: false }
    this.#last = failure
    if (this.#failures.length < MAX_FAILURES) this.#failures.push(failure)
    this.#diagOf = failure
  }

  // keeps what says why (found, wanted, diff, message...), not where (at, stack, source)
  #diagLine(failure, line) {
    const text = line.slice(failure.indent + 2)
    if (line.trim() === '...') {
      this.#diagOf = null
      return
    }
    if (line.trim() === '---') return
    const key = text.match(/^(\w+):/)
    if (key) failure.skipping = ['at', 'stack', 'source'].includes(key[1])
    if (!failure.skipping && failure.diag.length < MAX_DIAG_LINES) failure.diag.push(text)
  }

  report() {
    if (this.#count === 0) return []
    const out = [`# failed (${this.#count}):`]
    for (const f of this.#failures) {
      out.push(`# - ${f.path.join(' > ')}`)
      for (const d of f.diag) out.push(`#     ${d}`)
    }
    if (this.#count > this.#failures.length) out.push(`# ... and ${this.#count - this.#failures.length} more`)
    return out
  }
}
