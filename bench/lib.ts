// What the benchmarks share: percentiles of wall-clock samples and writing a results page.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** stats returns the p50, p90 and minimum of samples (nearest-rank, no interpolation). */
export const stats = (xs: number[]): { p50: number; p90: number; min: number } => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
  return { p50: q(0.5), p90: q(0.9), min: s[0] as number }
}

/** writeResults stores a results page as bench/results/NAME.md under repo and prints it. */
export const writeResults = (repo: string, name: string, markdown: string): void => {
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true })
  writeFileSync(join(repo, 'bench', 'results', `${name}.md`), markdown)
  process.stdout.write(markdown)
}
