// DEL: restore what the record holds, then remove the record. Idempotent and tolerant: no record →
// nothing to do; netns gone → just remove the record; interface gone → restore the netns-wide
// sysctls that still exist and remove the record. Restore order: MTU first (a MAC or flag change
// must not fail on an MTU the original setup rejects), then MAC, promisc, allmulti, txqlen, sysctls.
// DEL completes whenever it has done all it can (the spec's DEL): a recorded value that can never
// be set again (an MTU outside the interface's range, a multicast MAC: a damaged or foreign record)
// is skipped with a note, and every restore is best effort with its failure reported, so one bad
// value neither stops the others nor keeps the record (and every later DEL) failing forever. What
// was not restored is printed on stderr; the record is removed either way.
import type { ReadHost } from '../../src/host/types.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseTuningConfig } from './config.js'
import { linkSetStep, readLink, type LinkAttr } from '../../src/net/link.js'
import { parseRecord, readRecords, recordPath, type TuningRecord } from './record.js'
import { byKey } from '../../src/util/compare.js'
import { unrestorable } from './restorable.js'

const RESTORE_ORDER: readonly LinkAttr[] = ['mtu', 'mac', 'promisc', 'allmulti', 'txQLen']

/** a restore: not an error when it fails, but reported */
const bestEffort = <S extends PlannedStep>(s: S): S => ({ ...s, ignoreFailure: true, reportFailure: true })

/** planDel returns the DEL plan: restore steps (only for values that differ) and the records' removal. */
export const planDel = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseTuningConfig(req, { sysctls: false })
  const records = await readRecords(host.files, cfg.dataDir, cfg.containerId, cfg.ifname)
  const found = records[0]
  // nothing recorded: still remove the record's path, which takes a temp file a crash left with it
  if (!found) return { steps: [{ kind: 'remove-file', path: recordPath(cfg.dataDir, cfg.containerId, cfg.ifname) }] }
  const removeRecords: PlannedStep[] = records.map((r) => ({ kind: 'remove-file', path: r.path }))
  const record = parseRecord(found.text)
  if (!record || cfg.netns === '' || !(await host.netns.exists(cfg.netns))) return { steps: removeRecords }

  const steps: PlannedStep[] = []
  const notes: string[] = []
  const attrs = RESTORE_ORDER.filter((a) => record[a] !== undefined)
  const link = attrs.length > 0 ? await readLink(host, cfg.ifname, cfg.netns) : undefined
  if (link) {
    for (const attr of attrs) {
      const want = record[attr] as string | number | boolean
      if (link[attr] === want) continue
      const why = unrestorable(attr, want, link)
      if (why) notes.push(`${attr} not restored: the recorded ${JSON.stringify(want)} ${why} (${found.path})`)
      else steps.push(bestEffort(linkSetStep(cfg.ifname, cfg.netns, attr, want)))
    }
  }
  steps.push(...(await sysctlRestores(host, record, cfg.netns)))
  return { steps: [...steps, ...removeRecords], ...(notes.length > 0 ? { notes } : {}) }
}

/** sysctlRestores plans the recorded sysctls that exist and differ (an interface's go with it). */
const sysctlRestores = async (host: ReadHost, record: TuningRecord, netns: string): Promise<PlannedStep[]> => {
  const entries = Object.entries(record.sysctl ?? {}).sort(byKey(([k]) => k))
  if (entries.length === 0) return []
  const now = await host.sysctl.read(entries.map(([k]) => k), netns)
  return entries.flatMap(([key, value], i) => {
    const v = now[i]
    return v === undefined || v.replace(/\n$/, '') === value ? [] : [bestEffort({ kind: 'sysctl' as const, netns, key, value })]
  })
}
