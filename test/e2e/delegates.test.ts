// The meta chain (tuning, portmap, bandwidth, firewall) over every interface plugin Debian ships
// that makes a pod interface: bridge, ptp, macvlan, vlan and host-device (/usr/lib/cni, 1.1.1),
// with host-local and static IPAM, IPv4 and dual stack, under libcni (cnirun). The node's
// iptables FORWARD policy is DROP (inside the test's node namespace only), so every forwarded
// packet passes only through the firewall's mark. A bounded matrix, not every combination:
//
//   delegate      IPAM        families   bandwidth
//   bridge        host-local  4 + 6      shapes (host veth tbf + ifb)
//   ptp           static      4          shapes
//   macvlan       static      4 + 6      its clear error (code 7), the chain runs without it
//   vlan          host-local  4 + 6      its clear error, the chain runs without it
//   host-device   static      4          its clear error, the chain runs without it
//
// (This machine's kernel is built without CONFIG_VLAN_8021Q: the vlan case then checks only that the
// delegate's failure fails the chain cleanly, and says why its traffic checks did not run.)
// Real traffic for each: the client namespace reaches the pod through the published node port
// (each family), the pod reaches the client, tuning's sysctl is set in the pod; DEL leaves no
// attachment chain, no ifb, no tbf, no cache entry.
//
// macvlan, vlan and host-device need a "physical" network: a veth pair in the node namespace,
// ccpar0 the parent (macvlan and vlan hang off it; host-device takes a macvlan of it), its peer
// ccwire0 the node's port on that network, holding the pods' gateway address (on ccwire0.100 for
// the vlan). Both ends stay in the node: the node must route the published port's DNATed traffic
// to the pod and get the replies back to undo the DNAT (the pods' default route), which a peer in
// the client namespace cannot give (the node cannot reach its own macvlan children through their
// parent, nor own a second vlan 100 on it). The client still reaches the pod only through the node.
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  cnirun, createPod, createTopology, e2eSkip, repoRoot, run, runOk, startTcpEcho, tcpRoundTrip, writeConf,
  type Netns, type Topology,
} from './lib/harness.js'

type Ipam = 'host-local' | 'static'

interface Case {
  delegate: 'bridge' | 'ptp' | 'macvlan' | 'vlan' | 'host-device'
  ipam: Ipam
  dual: boolean
  /** the delegate makes a veth whose host end is in the node: bandwidth shapes */
  veth: boolean
  /** third octet / hextet of the pod subnet (10.250.N.0/24, fd00:250:N::/64) */
  n: number
  hostPort: number
}

const CASES: Case[] = [
  { delegate: 'bridge', ipam: 'host-local', dual: true, veth: true, n: 11, hostPort: 18111 },
  { delegate: 'ptp', ipam: 'static', dual: false, veth: true, n: 12, hostPort: 18112 },
  { delegate: 'macvlan', ipam: 'static', dual: true, veth: false, n: 13, hostPort: 18113 },
  { delegate: 'vlan', ipam: 'host-local', dual: true, veth: false, n: 14, hostPort: 18114 },
  { delegate: 'host-device', ipam: 'static', dual: false, veth: false, n: 15, hostPort: 18115 },
]

const PARENT = 'ccpar0'
const WIRE = 'ccwire0'
const VLAN_ID = 100
const DEVICE = 'ccdev0'

const v4Net = (c: Case) => `10.250.${c.n}`
const v6Net = (c: Case) => `fd00:250:${c.n}:`

/** ipamOf: host-local ranges, or static addresses (.10 / ::10), with default routes via the .1 / ::1 gateway. */
const ipamOf = (topo: Topology, c: Case): object => {
  const routes = [{ dst: '0.0.0.0/0' }, ...(c.dual ? [{ dst: '::/0' }] : [])]
  if (c.ipam === 'host-local') {
    return {
      type: 'host-local', dataDir: join(topo.dir, 'ipam'), routes,
      ranges: [[{ subnet: `${v4Net(c)}.0/24`, gateway: `${v4Net(c)}.1` }], ...(c.dual ? [[{ subnet: `${v6Net(c)}:/64`, gateway: `${v6Net(c)}:1` }]] : [])],
    }
  }
  return {
    type: 'static', routes,
    addresses: [{ address: `${v4Net(c)}.10/24`, gateway: `${v4Net(c)}.1` }, ...(c.dual ? [{ address: `${v6Net(c)}:10/64`, gateway: `${v6Net(c)}:1` }] : [])],
  }
}

const delegateOf = (topo: Topology, c: Case): object => {
  const ipam = ipamOf(topo, c)
  switch (c.delegate) {
    case 'bridge': return { type: 'bridge', bridge: 'cc-dlg0', isGateway: true, ipMasq: false, hairpinMode: true, ipam }
    case 'ptp': return { type: 'ptp', ipMasq: false, ipam }
    case 'macvlan': return { type: 'macvlan', master: PARENT, mode: 'bridge', ipam }
    case 'vlan': return { type: 'vlan', master: PARENT, vlanId: VLAN_ID, ipam }
    case 'host-device': return { type: 'host-device', device: DEVICE, ipam }
  }
}

/**
 * wireUp: the "physical" network of macvlan, vlan and host-device (see the file comment). Returns
 * why the case cannot run here, when the kernel lacks the device type (a kernel built without
 * CONFIG_VLAN_8021Q answers "Unknown device type", and so would Debian's vlan plugin).
 */
const wireUp = async (topo: Topology, c: Case): Promise<string | undefined> => {
  const node = topo.node
  await runOk(node, 'ip', ['link', 'add', PARENT, 'type', 'veth', 'peer', 'name', WIRE])
  await runOk(node, 'ip', ['link', 'set', PARENT, 'up'])
  await runOk(node, 'ip', ['link', 'set', WIRE, 'up'])
  let gwDev = WIRE
  if (c.delegate === 'vlan') {
    gwDev = `${WIRE}.${VLAN_ID}`
    const vlan = await run(node, 'ip', ['link', 'add', 'link', WIRE, 'name', gwDev, 'type', 'vlan', 'id', String(VLAN_ID)])
    if (/Unknown device type/.test(vlan.stderr)) return `this kernel has no 802.1Q VLAN support (ip link add type vlan: ${vlan.stderr.trim()})`
    if (vlan.exitCode !== 0) throw new Error(`ip link add type vlan: ${vlan.stderr.trim()}`)
    await runOk(node, 'ip', ['link', 'set', gwDev, 'up'])
  }
  if (c.delegate === 'host-device') {
    await runOk(node, 'ip', ['link', 'add', 'link', PARENT, 'name', DEVICE, 'type', 'macvlan', 'mode', 'bridge'])
  }
  await runOk(node, 'ip', ['addr', 'add', `${v4Net(c)}.1/24`, 'dev', gwDev])
  if (c.dual) await runOk(node, 'ip', ['addr', 'add', `${v6Net(c)}:1/64`, 'dev', gwDev, 'nodad'])
  return undefined
}

const metaPlugins = (topo: Topology, c: Case, withBandwidth: boolean): object[] => [
  { type: 'tuning', dataDir: join(topo.dir, 'tuning'), sysctl: { 'net.core.somaxconn': '1234' } },
  { type: 'portmap', capabilities: { portMappings: true }, stateDir: join(topo.dir, 'portmap') },
  ...(withBandwidth ? [{ type: 'bandwidth', dataDir: join(topo.dir, 'bandwidth'), ingressRate: 100_000_000, ingressBurst: 1_000_000, egressRate: 100_000_000, egressBurst: 1_000_000 }] : []),
  { type: 'firewall', stateDir: join(topo.dir, 'firewall'), ...(c.delegate === 'bridge' ? { ingressPolicy: 'same-bridge' } : {}) },
]

const addressOf = (result: any, family: 4 | 6): string =>
  ((result?.ips ?? []) as { address: string }[]).map((i) => i.address.split('/')[0] ?? '').find((a) => a.includes(':') === (family === 6)) ?? ''

/** waitNoTentative waits (bounded: 50 polls, ~5 s) until dev in ns has no tentative IPv6 address. */
const waitNoTentative = async (ns: Netns, dev: string): Promise<void> => {
  for (let i = 0; i < 50 && /tentative/.test((await run(ns, 'ip', ['-6', 'addr', 'show', 'dev', dev])).stdout); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
}

const ifbs = async (ns: Netns): Promise<string[]> =>
  (JSON.parse((await runOk(ns, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as any[]).filter((l) => l.linkinfo?.info_kind === 'ifb').map((l) => String(l.ifname))

const tbfs = async (ns: Netns): Promise<string[]> =>
  (JSON.parse((await runOk(ns, 'tc', ['-j', 'qdisc', 'show'])).stdout || '[]') as any[]).filter((q) => q.kind === 'tbf').map((q) => String(q.dev))

const explain = (r: { exitCode: number; stdout: string; stderr: string }): string => (r.exitCode === 0 ? '' : `: ${r.stdout}${r.stderr}`.slice(0, 1500))

const runCase = async (t: Test, c: Case): Promise<void> => {
  const topo = await createTopology(t)
  const node = topo.node
  await runOk(node, 'iptables', ['-w', '-P', 'FORWARD', 'DROP'])
  await runOk(node, 'ip6tables', ['-w', '-P', 'FORWARD', 'DROP'])
  const cannot = c.veth ? undefined : await wireUp(topo, c)
  if (cannot) {
    // the kernel lacks the device type: the chain must still fail cleanly (the delegate's CNI error,
    // nothing of ours left), and the case reports why it could not run the traffic checks
    t.comment(`${c.delegate}: ${cannot}; traffic checks not run`)
    await t.test(`${c.delegate}: the delegate's failure fails the chain cleanly on a kernel without it`, async (t) => {
      const pod = await createPod(t, topo, 'dlno')
      const conf = await writeConf(topo, 'nokernel.conflist',
        { cniVersion: '1.0.0', name: `dl-${c.delegate}`, plugins: [delegateOf(topo, c), ...metaPlugins(topo, c, false)] })
      const add = await cnirun(topo, 'add', conf, pod, { containerId: 'nok', capArgs: { portMappings: [{ hostPort: c.hostPort, containerPort: 80, protocol: 'tcp' }] } })
      t.not(add.exitCode, 0, 'ADD fails')
      t.notMatch(add.stdout + add.stderr, /\n\s+at /, 'no stack trace')
      const del = await cnirun(topo, 'del', conf, pod, { containerId: 'nok' })
      t.equal(del.exitCode, 0, `DEL${explain(del)}`)
      t.notMatch((await runOk(node, 'nft', ['list', 'ruleset'])).stdout, /chain (pm|fw)-[a-z2-7]{16}/, 'no attachment chain left')
      t.same(await readdir(topo.cacheDir + '/results').catch(() => []), [], 'nothing cached')
    })
    return
  }
  await startTcpEcho(t, topo.client, 7000)
  const net = (plugins: object[]) => ({ cniVersion: '1.0.0', name: `dl-${c.delegate}`, plugins: [delegateOf(topo, c), ...plugins] })
  const full = await writeConf(topo, 'full.conflist', net(metaPlugins(topo, c, true)))
  const chain = c.veth ? full : await writeConf(topo, 'chain.conflist', net(metaPlugins(topo, c, false)))
  const caps = { portMappings: [{ hostPort: c.hostPort, containerPort: 80, protocol: 'tcp' }] }

  if (!c.veth) {
    await t.test(`${c.delegate}: bandwidth in the chain fails with its clear error and DEL cleans up`, async (t) => {
      const pod = await createPod(t, topo, 'dlbw')
      const add = await cnirun(topo, 'add', full, pod, { containerId: 'bw', capArgs: caps })
      t.not(add.exitCode, 0, 'ADD fails')
      t.equal(add.json?.code, 7, `CNI error code 7 (invalid config)${add.json ? '' : `: ${add.stdout}${add.stderr}`}`)
      t.notMatch(add.stdout + add.stderr, /\n\s+at /, 'no stack trace')
      t.match(`${add.json?.msg} ${add.json?.details ?? ''}`, /bandwidth shapes traffic on the host end of a veth.*(macvlan|vlan)/)
      // the runtime's DEL after a failed ADD (libcni does not roll back the plugins before it)
      const del = await cnirun(topo, 'del', full, pod, { containerId: 'bw', capArgs: caps })
      t.equal(del.exitCode, 0, `DEL${explain(del)}`)
      t.notMatch(await runOk(node, 'nft', ['list', 'ruleset']).then((r) => r.stdout), /chain (pm|fw)-[a-z2-7]{16}/, 'no attachment chain left')
      t.same(await readdir(topo.cacheDir + '/results').catch(() => []), [], 'nothing cached')
    })
  }

  await t.test(`${c.delegate} + ${c.ipam} (${c.dual ? 'dual stack' : 'IPv4'}): tuning, portmap${c.veth ? ', bandwidth' : ''}, firewall with real traffic`, async (t) => {
    const pod = await createPod(t, topo, 'dlpod')
    const add = await cnirun(topo, 'add', chain, pod, { containerId: 'pod', capArgs: caps })
    t.equal(add.exitCode, 0, `ADD${explain(add)}`)
    if (add.exitCode !== 0) return
    const v4 = addressOf(add.json, 4)
    t.match(v4, new RegExp(`^10\\.250\\.${c.n}\\.`), 'IPv4 address from the IPAM')
    if (c.dual) {
      t.match(addressOf(add.json, 6), new RegExp(`^fd00:250:${c.n}:`), 'IPv6 address from the IPAM')
      await waitNoTentative(pod, 'eth0')
    }
    t.equal((await runOk(pod, 'cat', ['/proc/sys/net/core/somaxconn'])).stdout.trim(), '1234', 'tuning set the sysctl in the pod')
    if (c.veth) {
      t.equal((await tbfs(node)).length, 2, 'bandwidth: a tbf on the host veth and one on the ifb')
      t.equal((await ifbs(node)).length, 1, 'bandwidth: one ifb')
    }
    const check = await cnirun(topo, 'check', chain, pod, { containerId: 'pod', capArgs: caps })
    t.equal(check.exitCode, 0, `CHECK${explain(check)}`)

    await startTcpEcho(t, pod, 80)
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, c.hostPort), `client -> node:${c.hostPort} -> pod:80 (IPv4)`)
    if (c.dual) t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, c.hostPort), `client -> [node]:${c.hostPort} -> pod:80 (IPv6)`)
    t.ok(await tcpRoundTrip(pod, topo.clientIp, 7000), 'pod -> client and the replies (through the FORWARD DROP by the mark)')
    if (c.dual) t.ok(await tcpRoundTrip(pod, topo.clientIp6, 7000), 'pod -> client over IPv6')

    const del = await cnirun(topo, 'del', chain, pod, { containerId: 'pod', capArgs: caps })
    t.equal(del.exitCode, 0, `DEL${explain(del)}`)
    t.notMatch((await runOk(node, 'nft', ['list', 'ruleset'])).stdout, /chain (pm|fw)-[a-z2-7]{16}/, 'no attachment chain left')
    t.same({ ifbs: await ifbs(node), tbfs: await tbfs(node) }, { ifbs: [], tbfs: [] }, 'no ifb, no tbf left')
    t.same(await readdir(join(topo.cacheDir, 'results')).catch(() => []), [], 'nothing cached')
    t.notOk(await tcpRoundTrip(topo.client, topo.nodeClientIp, c.hostPort, 1500), 'the port is closed again')
  })
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(join(repoRoot, 'bin', 'portmap'))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  const missing = ['bridge', 'ptp', 'macvlan', 'vlan', 'host-device', 'host-local', 'static'].filter((p) => !existsSync(join('/usr/lib/cni', p)))
  if (missing.length > 0) {
    t.plan(0, `Debian's plugins ${missing.join(', ')} are missing in /usr/lib/cni (containernetworking-plugins)`)
  } else {
    for (const c of CASES) t.test(`delegate ${c.delegate}`, (t) => runCase(t, c))
  }
}
