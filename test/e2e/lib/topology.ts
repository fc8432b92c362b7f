// The e2e world. Why namespaces are shaped like this:
// - The plugins run inside a "node" namespace, never in the machine's own: their nft tables, tc
//   qdiscs, bridges and sysctls land there and vanish with it, so a test cannot damage the host
//   and parallel test files cannot see each other (each topology has its own random id).
// - Pods are namespaces the CNI plugins wire into the node (CNI_NETNS=/run/netns/<pod>).
// - A "client" namespace stands for the outside world: one veth to the node (192.168.250.0/24 and
//   fd00:250::/64) with its default routes via the node, so traffic to a published port on the
//   node address really crosses the node's prerouting/forward path like external traffic does.
//   The node forwards (ip_forward, IPv6 forwarding) as a Kubernetes node does.
// - Fixed addresses are safe because every topology is its own set of namespaces.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { track, untrack } from './leftovers.js'
import { createNetns, randomId, writeSysctl } from './netns.js'
import { repoRoot, run, runOk, sleep } from './proc.js'
import type { Netns, Topology } from './types.js'

const NODE_IP = '192.168.250.1'
const CLIENT_IP = '192.168.250.2'
const NODE_IP6 = 'fd00:250::1'
const CLIENT_IP6 = 'fd00:250::2'

/** Name of the node's end of the client link (inside the node namespace). */
export const NODE_CLIENT_LINK = 'cc-client0'

/** waitLinkLocal waits (at most 100 polls / 5 s) until dev has its IPv6 link-local address. */
const waitLinkLocal = async (ns: Netns, dev: string): Promise<void> => {
  const deadline = Date.now() + 5000
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    const r = await run(ns, 'ip', ['-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link'])
    const addrs = r.exitCode === 0 ? (JSON.parse(r.stdout) as any[]).flatMap((l) => l.addr_info ?? []) : []
    if (addrs.some((a: any) => !a.tentative)) return
    await sleep(50)
  }
  throw new Error(`no IPv6 link-local address on ${dev} in ${ns.name} after 5 s`)
}

/**
 * createTopology makes the node and client namespaces and a private temp dir, all removed in
 * t.teardown (even when the test fails).
 */
export const createTopology = async (t: Test): Promise<Topology> => {
  const id = randomId()
  const dir = await mkdtemp(join(tmpdir(), `cc-e2e-${id}-`))
  track.dir(dir)
  t.teardown(async () => {
    await rm(dir, { recursive: true, force: true })
    untrack.dir(dir)
  })
  const cacheDir = join(dir, 'cache')
  await mkdir(cacheDir)
  // client first: teardown is LIFO, so the node namespace (created last) goes first
  const client = await createNetns(t, 'client', id)
  const node = await createNetns(t, 'node', id)
  await writeSysctl(node, 'net/ipv4/ip_forward', '1')
  await writeSysctl(node, 'net/ipv6/conf/all/forwarding', '1')

  await runOk(node, 'ip', ['link', 'add', NODE_CLIENT_LINK, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client.name])
  await runOk(node, 'ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', NODE_CLIENT_LINK])
  await runOk(node, 'ip', ['addr', 'add', `${NODE_IP6}/64`, 'dev', NODE_CLIENT_LINK, 'nodad'])
  // no DAD on the client link: addresses (link-local too) are usable at once and stable, so
  // before/after snapshots of the node do not race the kernel
  await writeSysctl(node, `net/ipv6/conf/${NODE_CLIENT_LINK}/accept_dad`, '0')
  await writeSysctl(client, 'net/ipv6/conf/eth0/accept_dad', '0')
  await runOk(node, 'ip', ['link', 'set', NODE_CLIENT_LINK, 'up'])
  await runOk(client, 'ip', ['addr', 'add', `${CLIENT_IP}/24`, 'dev', 'eth0'])
  await runOk(client, 'ip', ['addr', 'add', `${CLIENT_IP6}/64`, 'dev', 'eth0', 'nodad'])
  await runOk(client, 'ip', ['link', 'set', 'eth0', 'up'])
  await runOk(client, 'ip', ['route', 'add', 'default', 'via', NODE_IP])
  await runOk(client, 'ip', ['-6', 'route', 'add', 'default', 'via', NODE_IP6])
  await waitLinkLocal(node, NODE_CLIENT_LINK)
  await waitLinkLocal(client, 'eth0')

  return {
    id,
    node,
    client,
    nodeClientIp: NODE_IP,
    clientIp: CLIENT_IP,
    nodeClientIp6: NODE_IP6,
    clientIp6: CLIENT_IP6,
    dir,
    cacheDir,
    cniPath: `${repoRoot}/bin:/usr/lib/cni`,
  }
}

/**
 * createPod makes an empty pod namespace `cc-<label>-<rand>` (lo up) for a CNI ADD to wire in;
 * deleted in t.teardown (which also removes the pod end of any veth, and so its node end).
 */
export const createPod = async (t: Test, topo: Topology, label: string): Promise<Netns> => {
  void topo // part of the API: pods belong to a topology (names stay unique regardless)
  return createNetns(t, label)
}
