// The `chain` plugin as shipped: the built-in meta plugins in-process, everything else from CNI_PATH.
import type { PluginDefinition } from '../../src/skel/plugin.js'
import { builtinMeta } from '../builtins.js'
import { externalRunner } from '../runner.js'
import { createChainPlugin } from './definition.js'

/** chainPlugin is the definition bin/chain serves. */
export const chainPlugin: PluginDefinition = createChainPlugin({ builtin: builtinMeta, runner: externalRunner() })
