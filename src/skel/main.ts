// pluginMain: the whole body of a plugin binary's entry file.
import { createRealHost } from '../host/real.js'
import { exitProcess, processIO } from './io.js'
import type { PluginDefinition } from './plugin.js'
import { runPlugin } from './run-plugin.js'

/** pluginMain runs `plugin` on the process's real IO and host and sets the exit code. */
export const pluginMain = (plugin: PluginDefinition): void => {
  void runPlugin(plugin, processIO(), createRealHost).then(exitProcess)
}
