// ADD: observe the interface, the sysctls and any earlier record, then plan
//   1. the record of original values (written first, so a crash leaves something DEL can use),
//   2. the sysctl writes, 3. the link changes (mac, promisc, mtu, allmulti, txqlen: the reference's order).
// Every change carries its undo, so a failure part-way is rolled back by applyPlan. Values that are
// already as configured are not written again (a repeated ADD plans nothing but the result).
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseTuningConfig, type TuningConfig } from './config.js'
import { linkSetStep, readLink, type LinkAttr, type LinkState } from '../../src/net/link.js'
import { readAllowlist, readSysctls } from './observe.js'
import { RECORD_MODE, mergeRecord, parseRecord, readRecords, recordPath, serializeRecord, type FoundRecord, type TuningRecord } from './record.js'
import { updateResult } from './result.js'
import { checkAllowlist } from './sysctl-keys.js'
import { unrestorable } from './restorable.js'
import { requirePrevResult } from '../../src/cni/prev-result.js'
import { requireNetns } from '../../src/net/netns.js'

/** ADD_ORDER: the order ADD changes link attributes in. */
const ADD_ORDER: readonly LinkAttr[] = ['mac', 'promisc', 'mtu', 'allmulti', 'txQLen']

/** planAdd validates the request (nothing read before that), observes, and returns the ADD plan. */
export const planAdd = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseTuningConfig(req, { sysctls: true })
  const prev = requirePrevResult(req.conf)
  checkAllowlist(cfg.sysctls, await readAllowlist(host))
  const result = updateResult(prev, cfg.ifname, cfg.link, cfg.cniVersion)
  const linkAttrs = ADD_ORDER.filter((a) => cfg.link[a] !== undefined)
  if (cfg.sysctls.length === 0 && linkAttrs.length === 0) return { steps: [], result }

  await requireNetns(host, cfg.netns)
  const path = recordPath(cfg.dataDir, cfg.containerId, cfg.ifname)
  // independent reads (each a process in the pod's netns): run them side by side
  const [link, sysctlNow, records] = await Promise.all([
    linkAttrs.length > 0 ? requireLink(host, cfg) : undefined,
    readSysctls(host, cfg.sysctls, cfg.netns),
    readRecords(host.files, cfg.dataDir, cfg.containerId, cfg.ifname),
  ])

  const changes: PlannedStep[] = []
  const observed: TuningRecord = { network: cfg.network }
  cfg.sysctls.forEach((s, i) => {
    const now = sysctlNow[i] as string
    observed.sysctl = { ...observed.sysctl, [s.path]: now }
    if (now !== s.value) {
      changes.push({ kind: 'sysctl', netns: cfg.netns, key: s.path, value: s.value, undo: [{ kind: 'sysctl', netns: cfg.netns, key: s.path, value: now }] })
    }
  })
  if (link) {
    for (const attr of linkAttrs) {
      const want = cfg.link[attr] as string | number | boolean
      const now = link[attr]
      ;(observed as Record<string, unknown>)[attr] = now
      if (now !== want) {
        // an original the kernel would not take back: DEL could not undo this change
        const why = unrestorable(attr, now, link)
        if (why) throw invalidConfig(`${cfg.ifname}'s ${attr} ${JSON.stringify(now)} ${why}: once changed it could not be set back at DEL`)
        changes.push({ ...linkSetStep(cfg.ifname, cfg.netns, attr, want), undo: [linkSetStep(cfg.ifname, cfg.netns, attr, now)] })
      }
    }
  }
  if (changes.length === 0) return { steps: [], result }

  return { steps: [...recordSteps(path, records, observed), ...changes], result }
}

/**
 * recordSteps writes the record (the originals already recorded win) when it changes, and moves
 * one found under an older name to the current one; each step undoes itself.
 */
const recordSteps = (path: string, records: FoundRecord[], observed: TuningRecord): PlannedStep[] => {
  const found = records[0]
  const existing = found === undefined ? undefined : parseRecord(found.text)
  const content = serializeRecord(mergeRecord(existing, observed))
  const atPath = records.find((r) => r.path === path)?.text
  const steps: PlannedStep[] = []
  if (content !== atPath) {
    steps.push({
      kind: 'write-file', path, content, mode: RECORD_MODE,
      undo: [atPath === undefined ? { kind: 'remove-file', path } : { kind: 'write-file', path, content: atPath, mode: RECORD_MODE }],
    })
  }
  for (const old of records.filter((r) => r.path !== path)) {
    steps.push({ kind: 'remove-file', path: old.path, undo: [{ kind: 'write-file', path: old.path, content: old.text, mode: RECORD_MODE }] })
  }
  return steps
}

/** requireLink reads CNI_IFNAME in the pod and checks the configured MTU against its limits. */
const requireLink = async (host: ReadHost, cfg: TuningConfig): Promise<LinkState> => {
  const link = await readLink(host, cfg.ifname, cfg.netns)
  if (!link) throw new CniError(ErrorCode.InvalidEnvironment, 'invalid CNI_IFNAME', `interface ${JSON.stringify(cfg.ifname)} not found in ${JSON.stringify(cfg.netns)}`)
  const { mtu } = cfg.link
  if (mtu !== undefined && ((link.minMtu !== undefined && mtu < link.minMtu) || (link.maxMtu !== undefined && mtu > link.maxMtu))) {
    throw invalidConfig(`mtu ${mtu} is outside the range ${link.minMtu ?? '?'}-${link.maxMtu ?? '?'} of ${cfg.ifname}`)
  }
  if (mtu !== undefined && mtu < IPV6_MIN_MTU && link.mtu >= IPV6_MIN_MTU) await refuseLosingIpv6(host, cfg, mtu)
  return link
}

/** below it the kernel drops the interface's IPv6 state: its addresses and its sysctls */
const IPV6_MIN_MTU = 1280

/**
 * refuseLosingIpv6 refuses an MTU below 1280 on an interface that holds IPv6 addresses beyond
 * its link-local one: the kernel would remove them at once, and restoring the MTU at DEL brings
 * back only a link-local address (the reference plugin sets it and the pod silently loses IPv6).
 * Read only on this rare path, so the usual ADD pays nothing for it.
 */
const refuseLosingIpv6 = async (host: ReadHost, cfg: TuningConfig, mtu: number): Promise<void> => {
  const links = await host.ip.json<{ addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[] }[]>(['addr', 'show', 'dev', cfg.ifname], cfg.netns)
  const kept = (links[0]?.addr_info ?? []).find((a) => a.family === 'inet6' && a.scope !== 'link')
  if (kept) {
    throw invalidConfig(`mtu ${mtu} is below IPv6's minimum of 1280, and ${cfg.ifname} has the IPv6 address ${kept.local}/${kept.prefixlen}: the kernel would remove it, and every IPv6 setting of ${cfg.ifname}`)
  }
}
