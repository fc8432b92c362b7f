// The plugin definitions the executor can run in-process: each built-in MetaPlugin through
// pluginFromMeta, and the `chain` plugin itself.
import { pluginFromMeta } from '../src/plan/meta-plugin.js'
import type { PluginDefinition } from '../src/skel/plugin.js'
import { builtinMeta } from './builtins.js'
import { chainPlugin } from './plugin/chain-plugin.js'

/** builtinDefinition returns the in-process definition of `type`, or undefined. */
export const builtinDefinition = (type: string): PluginDefinition | undefined => {
  if (type === 'chain') return chainPlugin
  const meta = builtinMeta(type)
  return meta ? pluginFromMeta(meta) : undefined
}
