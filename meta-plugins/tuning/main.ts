// Entry point of the `tuning` binary.
import { pluginMain } from '../../src/skel/main.js'
import { pluginFromMeta } from '../../src/plan/meta-plugin.js'
import { tuningPlugin } from './plugin.js'

pluginMain(pluginFromMeta(tuningPlugin))
