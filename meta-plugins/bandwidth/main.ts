// Entry point of the `bandwidth` binary.
import { pluginMain } from '../../src/skel/main.js'
import { pluginFromMeta } from '../../src/plan/meta-plugin.js'
import { bandwidthPlugin } from './plugin.js'

pluginMain(pluginFromMeta(bandwidthPlugin))
