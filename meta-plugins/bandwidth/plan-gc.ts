// GC (spec 1.1.0): remove what bandwidth made for attachments of this network that are not in
// cni.dev/valid-attachments (or the spec's cni.dev/attachments spelling): their redirect and tbf
// on the host veth (when it is still the recorded one), their clsact when ours and unused, their
// ifb and their record. Records of other networks stay. No list at all removes nothing (the
// runtime passed no GC arguments); an empty list means no attachment is valid.
import { keepEverything, validAttachments } from '../../src/cni/gc.js'
import type { ReadHost } from '../../src/host/types.js'
import type { Plan, PlannedStep } from '../../src/plan/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { cleanupSteps, liveHostVeth, liveIfb } from './cleanup.js'
import { parseBandwidthConfig } from './config.js'
import { parseRecord } from './record.js'

/** planGc lists the data dir and plans the cleanup of every stale record of this network. */
export const planGc = async (req: PluginRequest, host: ReadHost): Promise<Plan> => {
  const cfg = parseBandwidthConfig(req, { rates: false })
  const valid = validAttachments(req.conf)
  if (valid === undefined) return keepEverything()
  const keep = new Set(valid.map((a) => `${a.containerID}\0${a.ifname}`))
  const steps: PlannedStep[] = []
  for (const name of await host.files.list(cfg.dataDir)) {
    if (!name.endsWith('.json')) continue
    const path = `${cfg.dataDir}/${name}`
    const text = await host.files.read(path)
    const record = text === undefined ? undefined : parseRecord(text)
    if (!record || record.network !== cfg.network || keep.has(`${record.containerId}\0${record.ifname}`)) continue
    const [veth, ifb] = await Promise.all([liveHostVeth(host, record.hostVeth), liveIfb(host, record.ifb)])
    steps.push(...(await cleanupSteps(host, {
      clsact: record.clsact === true, recordPath: path,
      ...(veth ? { hostVeth: { name: veth.name, ifindex: veth.ifindex } } : {}), ...(ifb ? { ifb } : {}),
    })))
  }
  return { steps }
}
