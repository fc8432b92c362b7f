// `cni-chain add NETWORK NETNS`: ADD the network to a namespace and print the result.
import type { CommandModule } from 'yargs'
import { CniError, ErrorCode } from '../../../src/cni/errors.js'
import { isObject } from '../../../src/cni/keys.js'
import type { JsonObject } from '../../../src/cni/types.js'
import { addList } from '../../executor.js'
import { loadNetwork } from '../../conf-load.js'
import { dryRun, dryRunOptions, type DryRunOptions } from '../dry-run.js'
import { type AttachmentOptions, attachmentOptions, confDirOf, executorDeps, networkOf, runtimeArgsOf } from '../runtime.js'

interface AddOptions extends AttachmentOptions {
  annotation?: string[]
}

/** The capability containerd passes a pod's annotations in (bandwidth reads its kubernetes.io/*-bandwidth). */
const POD_ANNOTATIONS = 'io.kubernetes.cri.pod-annotations'

/** withAnnotations merges `--annotation K=V` flags into the pod-annotations capability (later flags win). */
const withAnnotations = (capabilityArgs: JsonObject, flags: readonly string[] | undefined): JsonObject => {
  if (!flags || flags.length === 0) return capabilityArgs
  const given = capabilityArgs[POD_ANNOTATIONS]
  const annotations: JsonObject = isObject(given) ? { ...given } : {}
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    if (eq <= 0) throw new CniError(ErrorCode.DecodingFailure, 'invalid --annotation', `${JSON.stringify(flag)} must be KEY=VALUE`)
    annotations[flag.slice(0, eq)] = flag.slice(eq + 1)
  }
  return { ...capabilityArgs, [POD_ANNOTATIONS]: annotations }
}

/** addCommand runs ADD over the list and prints the final result JSON. */
export const addCommand: CommandModule<object, AddOptions & DryRunOptions> = {
  command: 'add <network> <netns>',
  describe: 'add a network to a namespace (prints the result)',
  builder: (y) => dryRunOptions(attachmentOptions(y))
    .option('annotation', { type: 'string', array: true, describe: `pod annotation KEY=VALUE, repeatable; passed as the ${POD_ANNOTATIONS} capability (e.g. kubernetes.io/ingress-bandwidth=10M)` }) as never,
  handler: async (argv) => {
    const rt = runtimeArgsOf(argv) // names and paths checked before anything is read
    rt.capabilityArgs = withAnnotations(rt.capabilityArgs, argv.annotation)
    if (argv['dry-run']) return dryRun('ADD', argv, rt)
    const list = await loadNetwork(networkOf(argv), confDirOf(argv))
    const result = await addList(list, rt, executorDeps(argv))
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  },
}
