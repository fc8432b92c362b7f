// `install --watch`: run the reconcile step again whenever the conf dir or the bin dir changes
// (fs.watch, i.e. inotify: a primary CNI rewriting its conflist on restart, another installer
// copying its own portmap over ours), plus on a fixed interval in case an event was missed or a
// directory did not exist yet. Runs never overlap; events during a run cause one more run. A run
// that fails (a conflist caught half-written by `cp`) is retried shortly, a bounded number of times.
import { watch, type FSWatcher } from 'node:fs'

export interface WatchOptions {
  /** the periodic re-check, ms */
  intervalMs: number
  /** wait after the first event before running, so a burst of writes is one run (ms) */
  debounceMs?: number
  /** wait before retrying a failed run (ms), and how many times */
  retryMs?: number
  retries?: number
  log: (line: string) => void
}

export interface Watcher {
  stop(): Promise<void>
}

/** watchDirs calls `reconcile` on changes in `dirs` and every intervalMs, until stop(). */
export const watchDirs = (dirs: string[], reconcile: () => Promise<void>, opts: WatchOptions): Watcher => {
  const debounceMs = opts.debounceMs ?? 100
  const retryMs = opts.retryMs ?? 300
  const retries = opts.retries ?? 10
  const watchers = new Map<string, FSWatcher>()
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let scheduled: NodeJS.Timeout | undefined
  let failures = 0

  const run = (): void => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = (async () => {
      do {
        again = false
        try {
          await reconcile()
          failures = 0
        } catch (err) {
          opts.log(`reconcile failed: ${err instanceof Error ? err.message : String(err)}`)
          if (++failures <= retries) schedule(retryMs)
        }
      } while (again && !stopped)
    })().finally(() => {
      running = undefined
    })
  }

  const schedule = (ms: number): void => {
    if (stopped || scheduled) return
    scheduled = setTimeout(() => {
      scheduled = undefined
      run()
    }, ms)
  }

  const ensureWatchers = (): void => {
    for (const dir of dirs) {
      if (watchers.has(dir)) continue
      try {
        const w = watch(dir, { persistent: true }, () => schedule(debounceMs))
        w.on('error', () => {
          w.close()
          watchers.delete(dir)
        })
        watchers.set(dir, w)
      } catch {
        // the directory does not exist (yet): the interval tries again
      }
    }
  }

  ensureWatchers()
  const interval = setInterval(() => {
    ensureWatchers()
    run()
  }, opts.intervalMs)

  return {
    stop: async () => {
      stopped = true
      clearInterval(interval)
      if (scheduled) clearTimeout(scheduled)
      for (const w of watchers.values()) w.close()
      watchers.clear()
      await running
    },
  }
}
