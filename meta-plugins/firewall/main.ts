// Entry point of the `firewall` binary.
import { notImplementedPlugin } from '../../src/skel/not-implemented.js'
import { pluginMain } from '../../src/skel/main.js'

pluginMain(notImplementedPlugin('firewall'))
