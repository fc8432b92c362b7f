// Entry point of the `portmap` binary.
import { pluginMain } from '../../src/skel/main.js'
import { pluginFromMeta } from '../../src/plan/meta-plugin.js'
import { portmapPlugin } from './plugin.js'

pluginMain(pluginFromMeta(portmapPlugin))
