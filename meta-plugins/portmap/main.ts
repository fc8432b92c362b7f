// Entry point of the `portmap` binary.
import { notImplementedPlugin } from '../../src/skel/not-implemented.js'
import { pluginMain } from '../../src/skel/main.js'

pluginMain(notImplementedPlugin('portmap'))
