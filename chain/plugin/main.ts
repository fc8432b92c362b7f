// Entry point of the `chain` binary.
import { pluginMain } from '../../src/skel/main.js'
import { chainPlugin } from './chain-plugin.js'

pluginMain(chainPlugin)
