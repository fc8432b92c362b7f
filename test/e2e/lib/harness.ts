// The e2e harness: isolated network-namespace worlds for real CNI runs.
//
// Why namespaces are shaped like this: the plugins under test change nftables, tc, links and
// sysctls, so they never run in the machine's own namespace. Each topology is a "node" namespace
// (where plugins and libcni run, like a Kubernetes node; forwarding on), any number of pod
// namespaces (CNI_NETNS targets) and a "client" namespace that plays the outside world (a veth
// to the node, default routes via it, so published ports are reached as external traffic is).
// Names are cc-<role>-<random>, dirs are private mkdtemp dirs: e2e files can run in parallel.
// Everything created is removed in t.teardown (LIFO, also on failure); every wait is bounded.
export type { Netns, Topology } from './types.js'
export { e2eSkip } from './skip.js'
export { createTopology, createPod, NODE_CLIENT_LINK } from './topology.js'
export { createNetns, deleteNetns, randomId, writeSysctl } from './netns.js'
export { run, runOk, repoRoot, childEnv, sleep, type RunResult, type RunOptions } from './proc.js'
export {
  runPlugin, resolvePlugin, bridgeConflist, writeConf, cnirun, ensureCnirun, cnirunPath,
  type PluginRun, type BridgeConflistOptions, type CnirunOptions,
} from './cni.js'
export { startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip } from './echo.js'
export { nftRuleset, linkJson, readSysctl, snapshot, type NetSnapshot } from './inspect.js'
export { invokeInNode, type InvokeOutcome } from './invoke.js'
