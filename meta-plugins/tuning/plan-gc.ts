// GC (spec 1.1.0): remove the records of attachments that are not in cni.dev/valid-attachments.
// The data dir may be shared by several networks, so only records this network wrote (their
// `network` field) are candidates; records of other networks or of the reference plugin stay.
// No list at all removes nothing (the one GC rule, src/cni/gc.ts).
import { keepEverything, validAttachments } from '../../src/cni/gc.js'
import type { ReadHost } from '../../src/host/types.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseTuningConfig } from './config.js'
import { parseRecord, recordFileNames } from './record.js'

/** planGc lists the data dir and plans the removal of stale records of this network. */
export const planGc = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseTuningConfig(req, { sysctls: false })
  const list = validAttachments(req.conf)
  if (list === undefined) return keepEverything()
  const valid = new Set(list.flatMap((a) => recordFileNames(a.containerID, a.ifname)))
  const steps: PlannedStep[] = []
  for (const name of await host.files.list(cfg.dataDir)) {
    if (!name.endsWith('.json') || valid.has(name)) continue
    const path = `${cfg.dataDir}/${name}`
    const text = await host.files.read(path)
    const record = text === undefined ? undefined : parseRecord(text)
    if (record?.network === cfg.network) steps.push({ kind: 'remove-file', path })
  }
  return { steps }
}
