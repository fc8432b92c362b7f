// The plugin types cni-chain can run in-process (their MetaPlugin), by type. Every other type —
// and these too when in-process running is turned off — is executed from CNI_PATH.
import { bandwidthPlugin } from '../meta-plugins/bandwidth/plugin.js'
import { firewallPlugin } from '../meta-plugins/firewall/plugin.js'
import { portmapPlugin } from '../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../meta-plugins/tuning/plugin.js'
import type { MetaPlugin } from '../src/plan/meta-plugin.js'

const BUILTINS: ReadonlyMap<string, MetaPlugin> = new Map<string, MetaPlugin>([
  ['tuning', tuningPlugin],
  ['portmap', portmapPlugin],
  ['bandwidth', bandwidthPlugin],
  ['firewall', firewallPlugin],
])

/** builtinMeta returns the in-process plugin of `type`, or undefined. */
export const builtinMeta = (type: string): MetaPlugin | undefined => BUILTINS.get(type)
