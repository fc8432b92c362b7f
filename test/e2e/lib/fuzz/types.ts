// Shapes shared by the fuzz generator, the in-process runner and the judge (plain JSON: cases go
// to the runner process over a pipe).

export const PLUGINS = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain'] as const
export type PluginName = (typeof PLUGINS)[number]

export const FUZZ_VERBS = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] as const
export type FuzzVerb = (typeof FUZZ_VERBS)[number]

/** One pod the cases of a shard target; shards run in parallel, each on its own pod and names. */
export interface Shard {
  index: number
  /** the shard's network name (every valid case of the shard uses it) */
  network: string
  /** CNI_NETNS of the pod */
  podPath: string
  /** the pod's interface (a veth whose peer is on the shard's bridge in the node) */
  ifname: string
  bridge: string
  hostVeth: string
  macs: { bridge: string; hostVeth: string; pod: string }
  v4: { addr: string; gateway: string; len: number }
  v6: { addr: string; gateway: string; len: number }
  /** host ports of this shard: base .. base+99 */
  hostPortBase: number
  /** the plugins' state directories of this shard (all under the test's temp dir) */
  dirs: { tuning: string; portmap: string; bandwidth: string; firewall: string }
}

export interface FuzzContext {
  /** in every container id and network name the cases use (to recognize their files) */
  marker: string
  /** CNI_PATH: a directory holding only our five plugin binaries */
  cniPath: string
  shards: Shard[]
}

/** The environment and stdin of one plugin call. */
export interface Invocation {
  env: Record<string, string>
  stdin: string
}

/**
 * What a case must end in: ok (exit 0), error (a CNI error), any (either, well-formed), about (no
 * CNI_COMMAND: exit 0, nothing on stdout, the about line on stderr).
 */
export type Expectation = 'ok' | 'error' | 'any' | 'about'

export interface FuzzCase {
  n: number
  shard: number
  plugin: PluginName
  /** in process through the dispatcher, or the real binary */
  mode: 'inproc' | 'binary'
  /** the verb the case was built for (CNI_COMMAND may be mutated away from it) */
  verb: FuzzVerb
  call: Invocation
  expect: Expectation
  /** the mutations applied (empty: a valid call) */
  labels: string[]
  /**
   * After an ADD that succeeded: CHECK with the result as prevResult (valid cases from 0.4.0), then
   * DEL (the result as prevResult for valid cases; the original stdin otherwise). Both must succeed.
   */
  cleanup: boolean
  check: boolean
  /** valid ADD: the same ADD again before CHECK and DEL (plugins replace their objects in place) */
  readd: boolean
  /** valid ADD: DEL a second time at the end (DEL is idempotent) */
  delTwice: boolean
}

/** What one call did. */
export interface CallOutcome {
  exitCode: number
  stdout: string
  stderr: string
  ms: number
  timedOut?: boolean
  /** killed by a signal, or the in-process call threw out of the dispatcher */
  crashed?: string
}

export interface CaseOutcome {
  n: number
  main: CallOutcome
  readd?: CallOutcome
  check?: CallOutcome
  del?: CallOutcome
  del2?: CallOutcome
  /** Object.prototype / Array.prototype gained properties during the case */
  pollution?: string
  /** output written outside any call of this case (in-process runner) */
  stray?: string
}
