// ADD: find the host end of the pod's veth through the kernel, read its qdiscs and ingress
// filters, then plan
//   1. the record (first: a crash part-way leaves what DEL needs),
//   2. `ip`: the ifb (derived name and MAC, the veth's MTU, txqueuelen 0) and up,
//   3. `tc`: the root tbf on the host veth (traffic into the pod), the ifb's tbf, clsact when
//      there is no clsact/ingress qdisc yet, and our redirect filter last (traffic out of the pod
//      goes to the ifb only once the ifb shapes).
// One process per tool. Every change carries its undo, so a failure part-way is rolled back. A
// repeated ADD replaces our tbfs and filter in place and reuses the ifb.
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import { requirePrevResult } from '../../src/cni/prev-result.js'
import type { Result } from '../../src/cni/types.js'
import type { ReadHost } from '../../src/host/types.js'
import { readLinkInfo, type LinkInfo } from '../../src/net/link.js'
import { requireNetns } from '../../src/net/netns.js'
import type { Plan, PlannedStep, Step } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseBandwidthConfig, type BandwidthConfig } from './config.js'
import { IFB_CANDIDATES, ifbMac, ifbName, recordPath } from './names.js'
import { CHAINED, hostInterfaceNames, readFilters, readQdiscs, requireHostVeth } from './observe.js'
import { RECORD_MODE, parseRecord, serializeRecord, type BandwidthRecord } from './record.js'
import {
  FILTER_PREF, filtersAt, ingressQdisc, isOurRedirect, redirectArgs, redirectDelArgs, rootState, tbfArgs, tbfParams,
  type TcFilter, type TcQdisc,
} from './tbf.js'

/** planAdd validates the request (nothing read before that), observes, and returns the ADD plan. */
export const planAdd = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseBandwidthConfig(req)
  const prev = requirePrevResult(req.conf, CHAINED)
  if (!cfg.ingress && !cfg.egress) return { steps: [], result: prev }
  await requireNetns(host, cfg.netns)
  const path = recordPath(cfg.dataDir, cfg.network, cfg.containerId, cfg.ifname)
  const link = linkReader(host)
  // the record and the first ifb name depend only on the request: read them while the veth is found
  const [{ peer: veth }, existingText] = await Promise.all([
    requireHostVeth(host, cfg, hostInterfaceNames(prev)),
    host.files.read(path),
    cfg.egress ? link(ifbName(cfg.network, cfg.containerId)) : undefined,
  ])
  const earlier = existingText === undefined ? undefined : parseRecord(existingText)
  const previous = earlier && earlier.hostVeth.ifindex === veth.ifindex ? earlier : undefined
  const [qdiscs, filters, ifb, oldIfb] = await Promise.all([
    readQdiscs(host, veth.name), readFilters(host, veth.name, 'ingress'),
    cfg.egress ? chooseIfb(host, cfg, link, previous?.ifb) : undefined,
    !cfg.egress && previous?.ifb !== undefined ? link(previous.ifb) : undefined,
  ])

  const record: BandwidthRecord = {
    network: cfg.network, containerId: cfg.containerId, ifname: cfg.ifname,
    hostVeth: { name: veth.name, ifindex: veth.ifindex },
    rootTbf: cfg.ingress !== undefined,
    ...(ifb ? { ifb: ifb.name } : {}),
  }
  const ip: PlannedStep[] = []
  const tc: PlannedStep[] = [...rootSteps(cfg, veth, qdiscs ?? [], previous)]
  if (cfg.egress && ifb) {
    if (ifb.existing === undefined) {
      ip.push(
        { kind: 'ip', args: ['link', 'add', 'name', ifb.name, 'mtu', String(veth.mtu), 'address', ifb.mac, 'txqueuelen', '0', 'type', 'ifb'], undo: [{ kind: 'ip', args: ['link', 'del', 'dev', ifb.name] }] },
        { kind: 'ip', args: ['link', 'set', 'dev', ifb.name, 'up'] },
      )
    }
    if (ifb.existing !== undefined && ifb.existing.mtu !== veth.mtu) {
      ip.push({ kind: 'ip', args: ['link', 'set', 'dev', ifb.name, 'mtu', String(veth.mtu)], undo: [{ kind: 'ip', args: ['link', 'set', 'dev', ifb.name, 'mtu', String(ifb.existing.mtu)] }] })
    }
    const ifbRoot = rootState(ifb.qdiscs)
    tc.push({ kind: 'tc', args: tbfArgs(ifb.name, tbfParams(cfg.egress, veth.mtu)), ...(ifbRoot.state === 'ours' ? { undo: [{ kind: 'tc', args: tbfArgs(ifb.name, ifbRoot.params) }] } : {}) })
    const hook = ingressQdisc(qdiscs ?? [])
    record.clsact = hook === undefined || previous?.clsact === true
    if (hook === undefined) tc.push({ kind: 'tc', args: ['qdisc', 'add', 'dev', veth.name, 'clsact'], undo: [{ kind: 'tc', args: ['qdisc', 'del', 'dev', veth.name, 'clsact'] }] })
    tc.push(...redirectSteps(veth.name, ifb.name, filters))
  } else if (previous?.clsact !== undefined) {
    record.clsact = previous.clsact
  }
  // a repeated ADD that no longer shapes egress takes the earlier redirect and ifb away
  const dropOld: PlannedStep[] = []
  if (!cfg.egress && previous?.ifb !== undefined) {
    const atPref = filtersAt(filters, FILTER_PREF)
    if (isOurRedirect(atPref, previous.ifb)) tc.push({ kind: 'tc', args: redirectDelArgs(veth.name), undo: [{ kind: 'tc', args: redirectArgs(veth.name, previous.ifb) }] })
    if (oldIfb?.kind === 'ifb') dropOld.push({ kind: 'ip', args: ['link', 'del', 'dev', previous.ifb] })
  }

  const content = serializeRecord(record)
  const recordStep: PlannedStep[] = content === existingText ? [] : [{
    kind: 'write-file', path, content, mode: RECORD_MODE,
    undo: [existingText === undefined ? { kind: 'remove-file', path } : { kind: 'write-file', path, content: existingText, mode: RECORD_MODE }],
  }]
  return { steps: [...recordStep, ...ip, ...tc, ...dropOld], result: withIfb(prev, ifb) }
}

interface IfbChoice {
  name: string
  mac: string
  /** the ifb exists already (ours, from an earlier ADD of this attachment) */
  existing?: LinkInfo
  /** its qdiscs ([] for a new one) */
  qdiscs: TcQdisc[]
}

/** linkReader: readLinkInfo in the host namespace, each name read at most once. */
const linkReader = (host: ReadHost): ((name: string) => Promise<LinkInfo | undefined>) => {
  const reads = new Map<string, Promise<LinkInfo | undefined>>()
  return (name) => {
    let p = reads.get(name)
    if (!p) {
      p = readLinkInfo(host, name, undefined)
      reads.set(name, p)
    }
    return p
  }
}

/**
 * chooseIfb: the ifb this attachment recorded, if it still exists; else the first candidate name
 * nothing holds. A name held by anything else (another attachment's ifb, any other link) is
 * skipped: ifb names are collision-free per host namespace. Names are read one by one (normally
 * only the first), never the whole link list.
 */
const chooseIfb = async (host: ReadHost, cfg: BandwidthConfig, link: (name: string) => Promise<LinkInfo | undefined>, recorded: string | undefined): Promise<IfbChoice> => {
  if (recorded !== undefined) {
    const l = await link(recorded)
    if (l?.kind === 'ifb') return { name: recorded, mac: l.mac, existing: l, qdiscs: (await readQdiscs(host, recorded)) ?? [] }
  }
  for (let n = 0; n < IFB_CANDIDATES; n++) {
    const name = ifbName(cfg.network, cfg.containerId, n)
    if (!(await link(name))) return { name, mac: ifbMac(name), qdiscs: [] }
  }
  throw new CniError(ErrorCode.TryAgainLater, 'no free ifb name', `${IFB_CANDIDATES} candidate names for ${cfg.network}/${cfg.containerId} are all taken`)
}

/** rootSteps: our tbf at the host veth's root (or its removal when ingress is no longer shaped). */
const rootSteps = (cfg: BandwidthConfig, veth: LinkInfo, qdiscs: TcQdisc[], previous: BandwidthRecord | undefined): PlannedStep[] => {
  const root = rootState(qdiscs)
  if (!cfg.ingress) {
    if (root.state === 'ours' && previous?.rootTbf) return [{ kind: 'tc', args: ['qdisc', 'del', 'dev', veth.name, 'root'], undo: [{ kind: 'tc', args: tbfArgs(veth.name, root.params) }] }]
    return []
  }
  if (root.state === 'foreign') {
    throw invalidConfig(`host interface ${veth.name} already has a root qdisc (${root.kind} ${root.handle}) that bandwidth would replace`)
  }
  const undo: Step[] = root.state === 'ours' ? [{ kind: 'tc', args: tbfArgs(veth.name, root.params) }] : [{ kind: 'tc', args: ['qdisc', 'del', 'dev', veth.name, 'root'] }]
  return [{ kind: 'tc', args: tbfArgs(veth.name, tbfParams(cfg.ingress, veth.mtu)), undo }]
}

/** redirectSteps: our filter on the host veth's ingress hook (an earlier one of ours is replaced). */
const redirectSteps = (dev: string, ifb: string, filters: readonly TcFilter[]): PlannedStep[] => {
  const atPref = filtersAt(filters, FILTER_PREF)
  const steps: PlannedStep[] = []
  if (atPref.length > 0) {
    if (!isOurRedirect(atPref)) {
      throw invalidConfig(`priority ${FILTER_PREF} on the ingress hook of ${dev} is used by another filter; bandwidth needs it for its redirect`)
    }
    const old = atPref.flatMap((f) => f.options?.actions ?? []).find((a) => a.to_dev !== undefined)?.to_dev
    steps.push({ kind: 'tc', args: redirectDelArgs(dev), ...(old && old !== '*' ? { undo: [{ kind: 'tc', args: redirectArgs(dev, old) }] } : {}) })
  }
  steps.push({ kind: 'tc', args: redirectArgs(dev, ifb), undo: [{ kind: 'tc', args: redirectDelArgs(dev) }] })
  return steps
}

/** withIfb appends the ifb (no sandbox: it lives on the host) to the result's interfaces. */
const withIfb = (prev: Result, ifb: IfbChoice | undefined): Result => {
  if (!ifb) return prev
  const interfaces = prev.interfaces ?? []
  if (interfaces.some((i) => i.name === ifb.name && !i.sandbox)) return prev
  return { ...prev, interfaces: [...interfaces, { name: ifb.name, mac: ifb.mac }] }
}
