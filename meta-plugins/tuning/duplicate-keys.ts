// JSON.parse keeps only the last of duplicated keys, so a config with the same sysctl twice would
// silently lose one. findDuplicateKeys re-reads the raw stdin with a tiny tokenizer that sees every
// key of every object, in order, and reports repeats along the paths the caller cares about.

/** A repeated key: the path of the object holding it (as written) and the key. */
export interface DuplicateKey {
  path: string[]
  key: string
}

/**
 * findDuplicateKeys scans `text` (valid JSON) and returns the duplicated keys of the objects whose
 * path is in `paths`. Paths match case-insensitively (Go's rule for struct fields); keys within an
 * object compare exactly unless `foldCase(path)` says the object is a struct (then a key repeated
 * in another case is a duplicate too). Throws on malformed JSON.
 */
export const findDuplicateKeys = (text: string, paths: string[][], foldCase: (path: string[]) => boolean): DuplicateKey[] => {
  const wanted = new Set(paths.map((p) => p.map((s) => s.toLowerCase()).join('\0')))
  const found: DuplicateKey[] = []
  const visit = (path: string[], keys: string[]): void => {
    if (!wanted.has(path.map((s) => s.toLowerCase()).join('\0'))) return
    const fold = foldCase(path)
    const seen = new Set<string>()
    for (const k of keys) {
      const id = fold ? k.toLowerCase() : k
      if (seen.has(id)) found.push({ path, key: k })
      seen.add(id)
    }
  }
  const scanner = new Scanner(text, visit)
  scanner.value([])
  scanner.end()
  return found
}

/** Scanner: a recursive-descent reader of JSON that reports each object's keys to `visit`. */
class Scanner {
  private i = 0
  constructor(private readonly s: string, private readonly visit: (path: string[], keys: string[]) => void) {}

  value(path: string[]): void {
    this.ws()
    const c = this.s[this.i]
    if (c === '{') return this.object(path)
    if (c === '[') return this.array(path)
    if (c === '"') return void this.string()
    // number, true, false, null: validated by JSON.parse already; skip to the next delimiter
    const start = this.i
    while (this.i < this.s.length && !/[\s,\]}]/.test(this.s[this.i] as string)) this.i++
    if (this.i === start) this.fail()
  }

  end(): void {
    this.ws()
    if (this.i !== this.s.length) this.fail()
  }

  private object(path: string[]): void {
    this.i++ // {
    const keys: string[] = []
    this.ws()
    if (this.s[this.i] === '}') {
      this.i++
      return this.visit(path, keys)
    }
    for (;;) {
      this.ws()
      const key = this.string()
      keys.push(key)
      this.ws()
      this.expect(':')
      this.value([...path, key])
      this.ws()
      if (this.s[this.i] === ',') {
        this.i++
        continue
      }
      this.expect('}')
      return this.visit(path, keys)
    }
  }

  private array(path: string[]): void {
    this.i++ // [
    this.ws()
    if (this.s[this.i] === ']') {
      this.i++
      return
    }
    for (let n = 0; ; n++) {
      this.value([...path, `[${n}]`])
      this.ws()
      if (this.s[this.i] === ',') {
        this.i++
        continue
      }
      this.expect(']')
      return
    }
  }

  /** string reads one string token and decodes its escapes with JSON.parse. */
  private string(): string {
    if (this.s[this.i] !== '"') this.fail()
    const start = this.i++
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1
    if (this.i >= this.s.length) this.fail()
    this.i++
    return JSON.parse(this.s.slice(start, this.i)) as string
  }

  private ws(): void {
    while (this.i < this.s.length && /[ \t\r\n]/.test(this.s[this.i] as string)) this.i++
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) this.fail()
    this.i++
  }

  private fail(): never {
    throw new Error(`malformed JSON at offset ${this.i}`)
  }
}
