// Entry point of the `bandwidth` binary.
import { notImplementedPlugin } from '../../src/skel/not-implemented.js'
import { pluginMain } from '../../src/skel/main.js'

pluginMain(notImplementedPlugin('bandwidth'))
