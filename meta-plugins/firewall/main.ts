// Entry point of the `firewall` binary.
import { pluginFromMeta } from '../../src/plan/meta-plugin.js'
import { pluginMain } from '../../src/skel/main.js'
import { firewallPlugin } from './plugin.js'

pluginMain(pluginFromMeta(firewallPlugin))
