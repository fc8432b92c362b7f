// The fuzz world inside one topology: per shard a bridge in the node namespace and a pod whose eth0
// is a veth onto it (addresses as host-local would give), the shard's own state dirs, and a
// CNI_PATH directory holding only the five plugin binaries (so no case can run a delegate that
// creates links, nor the CLI).
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Test } from 'tap'
import { createNetns, repoRoot, runOk, writeSysctl } from '../harness.js'
import type { Netns, Topology } from '../types.js'
import type { FuzzContext, Shard } from './types.js'

export const FUZZ_BINARIES = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain'] as const

const macOf = async (ns: Topology['node'], dev: string): Promise<string> =>
  (JSON.parse((await runOk(ns, 'ip', ['-j', 'link', 'show', 'dev', dev])).stdout) as { address: string }[])[0]?.address ?? ''

/** createShard wires pod `index` into the node (bridge fzbr<i>, veth fzh<i>, 10.99.<i>.0/24, fd00:99:<i>::/64). */
const createShard = async (t: Test, topo: Topology, index: number, marker: string, stateRoot: string): Promise<{ shard: Shard; pod: Netns }> => {
  const node = topo.node
  const bridge = `fzbr${index}`
  const hostVeth = `fzh${index}`
  const pod = await createNetns(t, `fzpod${index}`)
  await runOk(node, 'ip', ['link', 'add', bridge, 'type', 'bridge'])
  await writeSysctl(node, `net/ipv6/conf/${bridge}/accept_dad`, '0')
  await runOk(node, 'ip', ['addr', 'add', `10.99.${index}.1/24`, 'dev', bridge])
  await runOk(node, 'ip', ['addr', 'add', `fd00:99:${index}::1/64`, 'dev', bridge, 'nodad'])
  await runOk(node, 'ip', ['link', 'set', bridge, 'up'])
  await runOk(node, 'ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name])
  await runOk(node, 'ip', ['link', 'set', hostVeth, 'master', bridge, 'up'])
  await writeSysctl(pod, 'net/ipv6/conf/eth0/accept_dad', '0')
  await runOk(pod, 'ip', ['addr', 'add', `10.99.${index}.2/24`, 'dev', 'eth0'])
  await runOk(pod, 'ip', ['addr', 'add', `fd00:99:${index}::2/64`, 'dev', 'eth0', 'nodad'])
  await runOk(pod, 'ip', ['link', 'set', 'eth0', 'up'])
  await runOk(pod, 'ip', ['route', 'add', 'default', 'via', `10.99.${index}.1`])
  const dir = join(stateRoot, `shard${index}`)
  const dirs = { tuning: join(dir, 'tuning'), portmap: join(dir, 'portmap'), bandwidth: join(dir, 'bandwidth'), firewall: join(dir, 'firewall') }
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true })
  const shard: Shard = {
    index,
    network: `${marker}n${index}`,
    podPath: pod.path,
    ifname: 'eth0',
    bridge,
    hostVeth,
    macs: { bridge: await macOf(node, bridge), hostVeth: await macOf(node, hostVeth), pod: await macOf(pod, 'eth0') },
    v4: { addr: `10.99.${index}.2`, gateway: `10.99.${index}.1`, len: 24 },
    v6: { addr: `fd00:99:${index}::2`, gateway: `fd00:99:${index}::1`, len: 64 },
    hostPortBase: 20000 + index * 100,
    dirs,
  }
  return { shard, pod }
}

/**
 * createFuzzWorld makes `shards` shards in topo and the CNI_PATH directory. `marker` goes into
 * every network name and container id.
 */
export const createFuzzWorld = async (t: Test, topo: Topology, shards: number, marker: string): Promise<FuzzContext & { stateRoot: string; pods: Netns[] }> => {
  const stateRoot = join(topo.dir, 'state')
  const cniPath = join(topo.dir, 'cni-bin')
  await mkdir(cniPath, { recursive: true })
  for (const b of FUZZ_BINARIES) await symlink(join(repoRoot, 'bin', b), join(cniPath, b))
  const made: { shard: Shard; pod: Netns }[] = []
  for (let i = 0; i < shards; i++) made.push(await createShard(t, topo, i, marker, stateRoot))
  return { marker, cniPath, shards: made.map((m) => m.shard), stateRoot, pods: made.map((m) => m.pod) }
}
