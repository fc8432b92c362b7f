// MetaPlugin: the shape of the four built-in plugins. They observe (read through the host) and
// return a Plan; they never write themselves. The same object serves the standalone binary
// (pluginFromMeta) and the single-process `chain` plugin, which merges the plans of several.
import type { Result } from '../cni/types.js'
import type { Host, ReadHost } from '../host/types.js'
import type { PluginDefinition, PluginRequest } from '../skel/plugin.js'
import { applyPlan } from './apply.js'
import type { Plan } from './types.js'
import { undoFailuresOf, withUndoFailures } from './undo.js'

export type PlannedVerb = 'ADD' | 'DEL' | 'GC'

export interface MetaPlugin {
  type: string
  versions: readonly string[]
  about: string
  // The verbs get a ReadHost (reads only): a write in a plan is a type error. They are declared as
  // properties, not methods, so an implementation typed with the full Host is rejected too.
  /**
   * plan decides what ADD, DEL or GC does. It validates the config first (CniError code 7, no
   * effect), may read through host, and cannot write. ADD plans carry the result.
   */
  plan: (verb: PlannedVerb, req: PluginRequest, host: ReadHost) => Promise<Plan>
  /** check verifies what ADD made (CHECK); throws a CniError naming the first difference. */
  check: (req: PluginRequest, host: ReadHost) => Promise<void>
  /**
   * recover (optional) is called when applying the plan failed, after that plan was rolled back
   * (in the `chain` plugin: after everything the chain's ADD did was rolled back). On ADD it may
   * only explain: throw a clearer error (portmap names the owner of a conflicting host port); what
   * it returns is ignored and `err` stands, because a rolled-back ADD is not resumed. On DEL and GC
   * it may return a replacement plan that is applied once (portmap: retry DEL without keys
   * another attachment owns). undefined = rethrow `err`.
   */
  recover?: (verb: PlannedVerb, req: PluginRequest, host: ReadHost, plan: Plan, err: unknown) => Promise<Plan | undefined>
  /** status tells whether ADD can be served (STATUS); absent = always ready. */
  status?: (req: PluginRequest, host: ReadHost) => Promise<void>
}

/** Applied: the plan that took effect and what people should hear about (see applyPlan). */
export interface Applied {
  plan: Plan
  warnings: string[]
}

/**
 * applyWithRecovery applies a plan made by `meta`; when that fails, meta.recover may replace the
 * error (any verb) or, on DEL and GC, the plan (applied once). Undo steps that failed stay in the
 * error, whichever error is thrown.
 */
export const applyWithRecovery = async (meta: MetaPlugin, verb: PlannedVerb, req: PluginRequest, host: Host, plan: Plan): Promise<Applied> => {
  try {
    return { plan, warnings: await applyPlan(plan, host) }
  } catch (err) {
    const replacement = await recoverOrExplain(meta, verb, req, host, plan, err)
    if (!replacement) throw err
    return { plan: replacement, warnings: await applyPlan(replacement, host) }
  }
}

/**
 * recoverOrExplain asks meta.recover about a failed plan: returns a replacement plan (DEL, GC) or
 * undefined; a clearer error it throws is rethrown carrying the undo failures `err` carried.
 */
export const recoverOrExplain = async (meta: MetaPlugin, verb: PlannedVerb, req: PluginRequest, host: Host, plan: Plan, err: unknown): Promise<Plan | undefined> => {
  if (!meta.recover) return undefined
  let replacement: Plan | undefined
  try {
    replacement = await meta.recover(verb, req, host, plan, err)
  } catch (clearer) {
    throw clearer === err ? err : withUndoFailures(clearer, undoFailuresOf(err))
  }
  return verb === 'ADD' ? undefined : replacement
}

/** Warn prints one line for people (stderr in the plugin binaries). */
export type Warn = (text: string) => void

/** stderrWarn writes to the process's stderr. */
export const stderrWarn: Warn = (text) => void process.stderr.write(`${text}\n`)

/**
 * pluginFromMeta turns a MetaPlugin into the handlers the dispatcher runs: plan, then apply; the
 * warnings of an applied plan go to `warn`, each prefixed with the plugin type.
 */
export const pluginFromMeta = (meta: MetaPlugin, warn: Warn = stderrWarn): PluginDefinition => {
  const planAndApply = async (verb: PlannedVerb, req: PluginRequest, host: Host): Promise<Plan> => {
    const { plan, warnings } = await applyWithRecovery(meta, verb, req, host, await meta.plan(verb, req, host))
    for (const w of warnings) warn(`${meta.type}: ${w}`)
    return plan
  }
  return {
    type: meta.type,
    versions: meta.versions,
    about: meta.about,
    add: async (req, host): Promise<Result> => {
      const plan = await planAndApply('ADD', req, host)
      if (!plan.result) throw new Error(`${meta.type}: ADD plan has no result`)
      return plan.result
    },
    del: async (req, host) => void (await planAndApply('DEL', req, host)),
    gc: async (req, host) => void (await planAndApply('GC', req, host)),
    check: (req, host) => meta.check(req, host),
    ...(meta.status ? { status: meta.status.bind(meta) } : {}),
  }
}
