// MetaPlugin: the shape of the four built-in plugins. They observe (read through the host) and
// return a Plan; they never write themselves. The same object serves the standalone binary
// (pluginFromMeta) and the single-process `chain` plugin, which merges the plans of several.
import type { Result } from '../cni/types.js'
import type { Host } from '../host/types.js'
import type { PluginDefinition, PluginRequest } from '../skel/plugin.js'
import { applyPlan } from './apply.js'
import type { Plan } from './types.js'

export type PlannedVerb = 'ADD' | 'DEL' | 'GC'

export interface MetaPlugin {
  type: string
  versions: readonly string[]
  about: string
  /**
   * plan decides what ADD, DEL or GC does. It validates the config first (CniError code 7, no
   * effect), may read through host, and must not write. ADD plans carry the result.
   */
  plan(verb: PlannedVerb, req: PluginRequest, host: Host): Promise<Plan>
  /** check verifies what ADD made (CHECK); throws a CniError naming the first difference. */
  check(req: PluginRequest, host: Host): Promise<void>
  /**
   * recover (optional) is called when applying the plan failed: it may throw a clearer error, or
   * return a replacement plan that is applied once (portmap: name the owner of a conflicting host
   * port on ADD; retry DEL without keys another attachment owns). undefined = rethrow `err`.
   */
  recover?(verb: PlannedVerb, req: PluginRequest, host: Host, plan: Plan, err: unknown): Promise<Plan | undefined>
  /** status tells whether ADD can be served (STATUS); absent = always ready. */
  status?(req: PluginRequest, host: Host): Promise<void>
}

/**
 * applyWithRecovery applies a plan made by `meta`; when that fails, meta.recover may replace the
 * error or the plan (applied once). Returns the plan that took effect.
 */
export const applyWithRecovery = async (meta: MetaPlugin, verb: PlannedVerb, req: PluginRequest, host: Host, plan: Plan): Promise<Plan> => {
  try {
    await applyPlan(plan, host)
    return plan
  } catch (err) {
    const replacement = meta.recover ? await meta.recover(verb, req, host, plan, err) : undefined
    if (!replacement) throw err
    await applyPlan(replacement, host)
    return replacement
  }
}

/** pluginFromMeta turns a MetaPlugin into the handlers the dispatcher runs: plan, then apply. */
export const pluginFromMeta = (meta: MetaPlugin): PluginDefinition => {
  const planAndApply = async (verb: PlannedVerb, req: PluginRequest, host: Host): Promise<Plan> =>
    applyWithRecovery(meta, verb, req, host, await meta.plan(verb, req, host))
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
