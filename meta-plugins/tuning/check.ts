// CHECK: every configured value is in place (IFNAME substituted): each sysctl's text (trailing
// newline trimmed), the link exists, and mac (lowercase), promisc (true → on, false/absent → off,
// as the reference), mtu, allmulti and txQLen when configured. The allowlist is not consulted.
import { CniError, ErrorCode } from '../../src/cni/errors.js'
import type { ReadHost } from '../../src/host/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { parseTuningConfig } from './config.js'
import { readLink } from '../../src/net/link.js'
import { readSysctls } from './observe.js'
import { requirePrevResult } from '../../src/cni/prev-result.js'
import { requireNetns } from '../../src/net/netns.js'

/** checkTuning throws a code 100 CniError naming the first value that differs. */
export const checkTuning = async (req: PluginRequest, host: ReadHost): Promise<void> => {
  const cfg = parseTuningConfig(req, { sysctls: true })
  requirePrevResult(req.conf)
  await requireNetns(host, cfg.netns)
  const values = await readSysctls(host, cfg.sysctls, cfg.netns)
  cfg.sysctls.forEach((s, i) => {
    if (values[i] !== s.value) mismatch(`sysctl ${s.key}`, s.value, values[i])
  })
  const link = await readLink(host, cfg.ifname, cfg.netns)
  if (!link) throw new CniError(ErrorCode.PluginSpecific, 'tuning check failed', `interface ${JSON.stringify(cfg.ifname)} not found in ${JSON.stringify(cfg.netns)}`)
  const { mac, mtu, allmulti, txQLen } = cfg.link
  if (mac !== undefined && link.mac !== mac) mismatch('mac', mac, link.mac)
  if (link.promisc !== cfg.promisc) mismatch('promisc', cfg.promisc, link.promisc)
  if (mtu !== undefined && link.mtu !== mtu) mismatch('mtu', mtu, link.mtu)
  if (allmulti !== undefined && link.allmulti !== allmulti) mismatch('allmulti', allmulti, link.allmulti)
  if (txQLen !== undefined && link.txQLen !== txQLen) mismatch('txQLen', txQLen, link.txQLen)
}

const mismatch = (what: string, want: unknown, got: unknown): never => {
  throw new CniError(ErrorCode.PluginSpecific, 'tuning check failed', `${what} is ${JSON.stringify(got)}, configured ${JSON.stringify(want)}`)
}
