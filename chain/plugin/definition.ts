// The `chain` plugin: one CNI plugin process hosting a whole sub-chain, so a runtime that execs one
// binary per conflist entry pays Node's start-up once. Its conf is
//   {"type":"chain","capabilities":{...},"plugins":[{"type":"tuning",...},{"type":"portmap",...}]}
// Sub-plugin stdin is built as the executor builds it (name and cniVersion injected, the chain's
// runtimeConfig filtered by each sub-plugin's declared capabilities). ADD runs in order threading
// prevResult, DEL in reverse with the chain's prevResult for all and halts at the first error (as
// the spec and libcni do for a list), CHECK in order, GC and STATUS over all. Consecutive built-in sub-plugins are planned first and applied as
// one merged plan (apply-segment.ts); other types run as binaries from CNI_PATH. A failed ADD
// undoes everything the sub-chain did (add-journal.ts), like a failed standalone ADD.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import { VALID_ATTACHMENTS_KEYS } from '../../src/cni/gc.js'
import { isObject } from '../../src/cni/keys.js'
import { convertResult, toCurrentResult } from '../../src/cni/result-convert.js'
import type { JsonObject, PluginConf, Result } from '../../src/cni/types.js'
import { SUPPORTED_VERSIONS } from '../../src/cni/versions.js'
import type { Host } from '../../src/host/types.js'
import { stderrWarn, type MetaPlugin, type Warn } from '../../src/plan/meta-plugin.js'
import { withUndoFailures } from '../../src/plan/undo.js'
import type { Verb } from '../../src/skel/env.js'
import type { PluginDefinition, PluginRequest } from '../../src/skel/plugin.js'
import { buildPluginConf } from '../build-conf.js'
import { joinErrors, pluginDescription, wrapPluginError } from '../errors.js'
import type { CallEnv, PluginRunner } from '../runner.js'
import { createAddJournal, type AddJournal } from './add-journal.js'
import { SegmentFailure, applySegmentAdd, applySegmentCleanup, explainSegmentFailure, type Planned } from './apply-segment.js'
import { planAllInOrder, planThreaded } from './plan-segment.js'
import { readsOnce } from './read-once.js'

/** What the chain plugin is built from: the in-process plugins and the runner for the rest. */
export interface ChainDeps {
  builtin: (type: string) => MetaPlugin | undefined
  runner: PluginRunner
  /** where the built-ins' warnings go (default: stderr), e.g. a value tuning's DEL could not restore */
  warn?: Warn
  /** plan sub-plugins strictly one after the other (default: at once, plan-segment.ts); the fixture recorder's choice */
  planOneByOne?: boolean
}

type Sub = { type: string; entry: JsonObject; meta: MetaPlugin | undefined }
type Segment = { builtin: true; subs: Sub[] } | { builtin: false; sub: Sub }

/** parseSubPlugins validates `plugins` (code 7) and resolves which ones run in-process. */
const parseSubPlugins = (conf: PluginConf, deps: ChainDeps): Sub[] => {
  const plugins = conf.plugins
  if (!Array.isArray(plugins) || plugins.length === 0) throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', 'chain: "plugins" must be a non-empty array')
  return plugins.map((p, i) => {
    if (!isObject(p)) throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', `chain: plugins[${i}] must be an object`)
    const type = p.type
    if (typeof type !== 'string' || type === '' || /[/\\]/.test(type)) {
      throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', `chain: plugins[${i}] needs a plugin "type" without path separators`)
    }
    if (p.capabilities !== undefined && !isObject(p.capabilities)) {
      throw new CniError(ErrorCode.InvalidConfig, 'invalid network config', `chain: plugins[${i}].capabilities must be an object`)
    }
    return { type, entry: p, meta: deps.builtin(type) }
  })
}

// consecutive built-ins form one segment; every external plugin is a segment of its own
const segmentsOf = (subs: Sub[]): Segment[] => {
  const out: Segment[] = []
  for (const sub of subs) {
    const last = out.at(-1)
    if (!sub.meta) out.push({ builtin: false, sub })
    else if (last?.builtin) last.subs.push(sub)
    else out.push({ builtin: true, subs: [sub] })
  }
  return out
}

/** subConf builds one sub-plugin's stdin from the chain's own. */
const subConf = (conf: PluginConf, sub: Sub, prev: Result | undefined): JsonObject => {
  const out = buildPluginConf(sub.entry, {
    name: conf.name,
    cniVersion: conf.cniVersion,
    ...(isObject(conf.runtimeConfig) ? { capabilityArgs: conf.runtimeConfig } : {}),
    ...(prev ? { prevResult: prev } : {}),
  })
  // runtime-provided args (args.cni...) and GC's attachment lists reach every sub-plugin
  if (conf.args !== undefined && out.args === undefined) out.args = conf.args
  for (const k of VALID_ATTACHMENTS_KEYS) if (conf[k] !== undefined) out[k] = conf[k]
  return out
}

const subRequest = (req: PluginRequest, verb: Verb, conf: JsonObject): PluginRequest => ({
  env: { ...req.env, command: verb },
  conf: conf as PluginConf,
  stdin: JSON.stringify(conf),
})

const callEnvOf = (req: PluginRequest): CallEnv => ({
  containerId: req.env.containerId,
  netns: req.env.netns,
  ifname: req.env.ifname,
  args: req.env.args,
  pluginDirs: req.env.path,
})

const checkSubVersion = (sub: Sub, cniVersion: string): void => {
  if (sub.meta && !sub.meta.versions.includes(cniVersion)) {
    throw new CniError(ErrorCode.IncompatibleVersion, 'incompatible CNI versions',
      `config is ${JSON.stringify(cniVersion)}, plugin supports ${JSON.stringify(sub.meta.versions)}`)
  }
}

// a result as the next plugin sees it: in the chain's version, parsed back to the 1.x shape
const normalize = (json: JsonObject | Result, cniVersion: string): Result => {
  const withVersion = (json as JsonObject).cniVersion ? json : { ...json, cniVersion }
  return toCurrentResult(convertResult(toCurrentResult(withVersion), cniVersion))
}

/** createChainPlugin builds the `chain` plugin over the given built-ins and runner. */
export const createChainPlugin = (deps: ChainDeps): PluginDefinition => {
  const warn = deps.warn ?? stderrWarn
  const runExternal = async (verb: Verb, req: PluginRequest, sub: Sub, conf: JsonObject): Promise<JsonObject | undefined> =>
    deps.runner.run(verb, sub.type, conf, callEnvOf(req))

  /**
   * plansOf plans DEL or GC for a built-in segment (all at once, plan-segment.ts), collecting
   * planning errors; with `halt` (DEL) only the plans before the first error count.
   */
  const plansOf = async (verb: 'DEL' | 'GC', req: PluginRequest, subs: Sub[], prev: Result | undefined, host: Host, halt: boolean) => {
    const view = readsOnce(host)
    const planOne = async (sub: Sub): Promise<Planned> => {
      try {
        checkSubVersion(sub, req.conf.cniVersion)
        const subReq = subRequest(req, verb, subConf(req.conf, sub, prev))
        const meta = sub.meta as MetaPlugin
        return { meta, req: subReq, plan: await meta.plan(verb, subReq, view) }
      } catch (err) {
        throw wrapPluginError(err, verb, sub.type, req.conf.name)
      }
    }
    const { items, errors } = await planAllInOrder(subs, planOne, halt, deps.planOneByOne)
    return { items, errors: errors as CniError[] }
  }

  const add = async (req: PluginRequest, host: Host): Promise<Result> => {
    const { conf } = req
    const journal = createAddJournal()
    try {
      let prev = conf.prevResult ? normalize(conf.prevResult, conf.cniVersion) : undefined
      for (const seg of segmentsOf(parseSubPlugins(conf, deps))) {
        if (!seg.builtin) {
          prev = await addExternal(req, seg.sub, prev, journal)
          continue
        }
        const view = readsOnce(host) // nothing is applied while the segment is planned
        const planOne = async (sub: Sub, before: Result | undefined): Promise<Planned> => {
          try {
            checkSubVersion(sub, conf.cniVersion)
            const meta = sub.meta as MetaPlugin
            const subReq = subRequest(req, 'ADD', subConf(conf, sub, before))
            const plan = await meta.plan('ADD', subReq, view)
            if (!plan.result) throw new CniError(ErrorCode.Internal, `${sub.type}: ADD plan has no result`)
            return { meta, req: subReq, plan }
          } catch (err) {
            throw wrapPluginError(err, 'ADD', sub.type, conf.name)
          }
        }
        const planned = await planThreaded(seg.subs, prev, planOne, (p) => normalize(p.plan.result as Result, conf.cniVersion), deps.planOneByOne)
        prev = planned.prev
        await applySegmentAdd(planned.items, journal, host, warn)
      }
      return prev as Result
    } catch (err) {
      // the host first goes back to how it was; then the failed plugin may explain (portmap names a port's owner)
      const undoFailures = await journal.rollback(host)
      const e = err instanceof SegmentFailure ? await explainSegmentFailure(err, conf.name, host) : err
      throw withUndoFailures(e, undoFailures)
    }
  }

  /** addExternal runs an external sub-plugin's ADD; once it succeeded, the journal can DEL it again. */
  const addExternal = async (req: PluginRequest, sub: Sub, prev: Result | undefined, journal: AddJournal): Promise<Result> => {
    const { conf } = req
    let out: JsonObject | undefined
    try {
      out = await runExternal('ADD', req, sub, subConf(conf, sub, prev))
    } catch (err) {
      throw wrapPluginError(err, 'ADD', sub.type, conf.name)
    }
    // its DEL gets its own ADD result as prevResult (what a runtime would pass had the chain ended
    // there), or what it was given when that result is unusable
    let result: Result | undefined
    journal.external(`DEL of plugin ${pluginDescription(sub.type, conf.name)}`, () => runExternal('DEL', req, sub, subConf(conf, sub, result ?? prev)))
    try {
      if (!out) throw new CniError(ErrorCode.DecodingFailure, 'plugin printed no result')
      result = normalize(out, conf.cniVersion)
      return result
    } catch (err) {
      throw wrapPluginError(err, 'ADD', sub.type, conf.name)
    }
  }

  // DEL halts at the first failing sub-plugin (reverse order), as the spec's "Deleting an
  // attachment" and libcni do: the runtime retries the whole DEL. GC runs every sub-plugin and
  // reports all failures, as libcni's GCNetworkList.
  const cleanup = async (verb: 'DEL' | 'GC', req: PluginRequest, host: Host): Promise<void> => {
    const { conf } = req
    const halt = verb === 'DEL'
    const prev = verb === 'DEL' && conf.prevResult ? normalize(conf.prevResult, conf.cniVersion) : undefined
    const subs = parseSubPlugins(conf, deps)
    const errors: CniError[] = []
    for (const seg of segmentsOf(verb === 'DEL' ? subs.reverse() : subs)) {
      if (!seg.builtin) {
        try {
          await runExternal(verb, req, seg.sub, subConf(conf, seg.sub, prev))
        } catch (err) {
          errors.push(wrapPluginError(err, verb, seg.sub.type, conf.name))
        }
      } else {
        // with halt, a planning error comes after the plugins planned before it have been applied
        const planned = await plansOf(verb, req, seg.subs, prev, host, halt)
        if (planned.items.length > 0) errors.push(...(await applySegmentCleanup(planned.items, verb, conf.name, host, warn, halt)))
        errors.push(...planned.errors)
      }
      if (halt && errors.length > 0) throw errors[0]
    }
    if (errors.length > 0) throw joinErrors(errors)
  }

  // CHECK and STATUS: in order, the first failure ends the verb
  const inspect = async (verb: 'CHECK' | 'STATUS', req: PluginRequest, host: Host): Promise<void> => {
    const { conf } = req
    const prev = verb === 'CHECK' && conf.prevResult ? normalize(conf.prevResult, conf.cniVersion) : undefined
    for (const sub of parseSubPlugins(conf, deps)) {
      const c = subConf(conf, sub, prev)
      try {
        if (!sub.meta) {
          await runExternal(verb, req, sub, c)
          continue
        }
        checkSubVersion(sub, conf.cniVersion)
        if (verb === 'CHECK') await sub.meta.check(subRequest(req, verb, c), host)
        else await sub.meta.status?.(subRequest(req, verb, c), host)
      } catch (err) {
        throw wrapPluginError(err, verb, sub.type, conf.name)
      }
    }
  }

  return {
    type: 'chain',
    versions: SUPPORTED_VERSIONS,
    about: 'cni-chain chain: runs a sub-chain of CNI plugins in one process',
    add,
    del: (req, host) => cleanup('DEL', req, host),
    gc: (req, host) => cleanup('GC', req, host),
    check: (req, host) => inspect('CHECK', req, host),
    status: (req, host) => inspect('STATUS', req, host),
  }
}
