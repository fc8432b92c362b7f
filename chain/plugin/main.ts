// Entry point of the `chain` binary.
import { notImplementedPlugin } from '../../src/skel/not-implemented.js'
import { pluginMain } from '../../src/skel/main.js'

pluginMain(notImplementedPlugin('chain'))
