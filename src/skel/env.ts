// The CNI_* environment of a plugin call: which variables each verb requires, and their checks.
import { CniError, ErrorCode } from '../cni/errors.js'
import { checkContainerId, checkInterfaceName } from '../cni/validate.js'

export const VERBS = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] as const
export type Verb = (typeof VERBS)[number]

/** The parsed CNI_* variables. Absent and empty are the same (libcni sets every variable). */
export interface CniEnv {
  command: Verb
  containerId: string
  netns: string
  ifname: string
  args: string
  path: string[]
}

type Rule = { name: string; requiredFor: readonly Verb[] }

// cni-spec.md §1.2: skel's requirements (CNI_NETNS optional on DEL; CNI_PATH required except VERSION).
const RULES: readonly Rule[] = [
  { name: 'CNI_CONTAINERID', requiredFor: ['ADD', 'DEL', 'CHECK'] },
  { name: 'CNI_NETNS', requiredFor: ['ADD', 'CHECK'] },
  { name: 'CNI_IFNAME', requiredFor: ['ADD', 'DEL', 'CHECK'] },
  { name: 'CNI_PATH', requiredFor: ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'] },
]

/** isVerb tells whether s is a CNI_COMMAND cni-chain knows. */
export const isVerb = (s: string): s is Verb => (VERBS as readonly string[]).includes(s)

/**
 * readCniEnv validates the environment for its CNI_COMMAND and returns it parsed. It throws a
 * code 4 CniError naming the missing or invalid variables.
 */
export const readCniEnv = (env: Record<string, string | undefined>): CniEnv => {
  const command = env.CNI_COMMAND ?? ''
  if (command === '') throw new CniError(ErrorCode.InvalidEnvironment, 'required env variables [CNI_COMMAND] missing')
  if (!isVerb(command)) throw new CniError(ErrorCode.InvalidEnvironment, `unknown CNI_COMMAND: ${command}`)
  const missing = RULES.filter((r) => r.requiredFor.includes(command) && !env[r.name]).map((r) => r.name)
  if (missing.length > 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(',')}] missing`)
  }
  const parsed: CniEnv = {
    command,
    containerId: env.CNI_CONTAINERID ?? '',
    netns: env.CNI_NETNS ?? '',
    ifname: env.CNI_IFNAME ?? '',
    args: env.CNI_ARGS ?? '',
    path: (env.CNI_PATH ?? '').split(':').filter((p) => p !== ''),
  }
  // the same rules as every other entry point (src/cni/validate.ts); absent is checked above
  if (parsed.containerId !== '') checkContainerId(parsed.containerId, 'CNI_CONTAINERID')
  if (parsed.ifname !== '') checkInterfaceName(parsed.ifname, 'CNI_IFNAME')
  return parsed
}
