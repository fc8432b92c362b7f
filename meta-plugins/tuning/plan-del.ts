// DEL: restore what the record holds, then remove the record. Idempotent and tolerant: no record →
// nothing to do; netns gone → just remove the record; interface gone → restore the netns-wide
// sysctls that still exist and remove the record. Restore order: MTU first (a MAC or flag change
// must not fail on an MTU the original setup rejects), then MAC, promisc, allmulti, txqlen, sysctls.
import type { Host } from '../../src/host/types.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseTuningConfig } from './config.js'
import { linkSetStep, readLink, type LinkAttr, type LinkState } from '../../src/net/link.js'
import { parseRecord, recordPath, type TuningRecord } from './record.js'

const RESTORE_ORDER: readonly LinkAttr[] = ['mtu', 'mac', 'promisc', 'allmulti', 'txQLen']

/** planDel returns the DEL plan: restore steps (only for values that differ) and the record's removal. */
export const planDel = async (req: PluginRequest, host: Host): Promise<Plan> => {
  const cfg = parseTuningConfig(req, { sysctls: false })
  const path = recordPath(cfg.dataDir, cfg.containerId, cfg.ifname)
  const text = await host.files.read(path)
  if (text === undefined) return { steps: [] }
  const removeRecord: PlannedStep = { kind: 'remove-file', path }
  const record = parseRecord(text)
  if (!record || cfg.netns === '' || !(await host.netns.exists(cfg.netns))) return { steps: [removeRecord] }

  const steps: PlannedStep[] = []
  const attrs = RESTORE_ORDER.filter((a) => record[a] !== undefined)
  const link = attrs.length > 0 ? await readLink(host, cfg.ifname, cfg.netns) : undefined
  if (link) {
    for (const attr of attrs) {
      const want = record[attr] as string | number | boolean
      if (observed(link, attr) !== want) steps.push(linkSetStep(cfg.ifname, cfg.netns, attr, want))
    }
  }
  steps.push(...(await sysctlRestores(host, record, cfg.netns)))
  return { steps: [...steps, removeRecord] }
}

/** sysctlRestores plans the recorded sysctls that exist and differ (an interface's go with it). */
const sysctlRestores = async (host: Host, record: TuningRecord, netns: string): Promise<PlannedStep[]> => {
  const entries = Object.entries(record.sysctl ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return []
  const now = await host.sysctl.read(entries.map(([k]) => k), netns)
  return entries.flatMap(([key, value], i) => {
    const v = now[i]
    return v === undefined || v.replace(/\n$/, '') === value ? [] : [{ kind: 'sysctl' as const, netns, key, value }]
  })
}

const observed = (link: LinkState, attr: LinkAttr): string | number | boolean | undefined => {
  switch (attr) {
    case 'mtu': return link.mtu
    case 'mac': return link.mac
    case 'promisc': return link.promisc
    case 'allmulti': return link.allmulti
    case 'txQLen': return link.txQLen
  }
}
