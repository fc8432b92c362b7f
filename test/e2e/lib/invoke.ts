// Run the project's invoke layer (findPlugin + execPlugin) inside the node namespace.
import { join } from 'node:path'
import { bundleCjs } from './bundle.js'
import { existsSync } from 'node:fs'
import { run } from './proc.js'
import type { Topology } from './types.js'

export interface InvokeOutcome {
  /** the plugin file findPlugin chose */
  file?: string
  /** execPlugin's parsed result (null when stdout was empty) */
  result?: any
  /** the CniError execPlugin threw */
  error?: { code?: number; msg?: string; details?: string }
}

const bundle = async (topo: Topology): Promise<string> => {
  const out = join(topo.dir, 'invoke-main.cjs')
  if (existsSync(out)) return out
  return bundleCjs('test/e2e/lib/invoke-main.ts', out)
}

/**
 * invokeInNode finds plugin `type` on topo.cniPath and runs it with execPlugin (the project's
 * invoke layer) from a Node process inside the node namespace.
 */
export const invokeInNode = async (topo: Topology, type: string, conf: object, env: Record<string, string>): Promise<InvokeOutcome> => {
  const script = await bundle(topo)
  const input = JSON.stringify({ type, dirs: topo.cniPath.split(':'), conf, env: { CNI_PATH: topo.cniPath, ...env } })
  const r = await run(topo.node, process.execPath, [script], { input, timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`invoke-main exited ${r.exitCode}: ${r.stderr.trim()}`)
  return JSON.parse(r.stdout) as InvokeOutcome
}
