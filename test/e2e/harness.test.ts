// Proves the e2e harness: namespaces, echo servers and round trips, a real bridge + host-local
// ADD/DEL through the project's invoke layer, and the same conflist through libcni (cnirun).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import {
  bridgeConflist, cnirun, createPod, createTopology, e2eSkip, invokeInNode, linkJson, nftRuleset,
  readSysctl, run, snapshot, startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip, writeConf,
  type NetSnapshot, type Topology,
} from './lib/harness.js'

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  // The bridge plugin never deletes its bridge on DEL (other pods may use it), and the gateway
  // address and connected route stay on it: leave those out of the before/after comparison.
  // The node namespace (and so the bridge) is deleted in teardown.
  const withoutBridge = (s: NetSnapshot, bridge: string): NetSnapshot => ({
    links: s.links.filter((l) => l !== bridge),
    addrs: s.addrs.filter((a) => !a.startsWith(`${bridge} `)),
    routes: s.routes.filter((r) => !r.endsWith(` ${bridge}`)),
  })

  const podAddress = (result: any): string => {
    const cidr = String(result?.ips?.[0]?.address ?? '')
    return cidr.split('/')[0] ?? ''
  }

  const netnsExists = async (name: string): Promise<boolean> =>
    (await run(undefined, 'ip', ['netns', 'list'])).stdout.split('\n').some((l) => l.split(' ')[0] === name)

  t.test('topology: forwarding node, client link, echo round trips, full cleanup', async (t) => {
    let topo: Topology | undefined
    await t.test('build and use', async (t) => {
      topo = await createTopology(t)
      t.equal(await readSysctl(topo.node, 'net.ipv4.ip_forward'), '1', 'node forwards IPv4')
      t.equal(await readSysctl(topo.node, 'net/ipv6/conf/all/forwarding'), '1', 'node forwards IPv6')
      t.equal(await readSysctl(topo.client, 'net.ipv4.ip_forward'), '0', 'client does not forward')
      t.equal(await readSysctl(topo.node, 'net/ipv4/no_such_key'), undefined, 'missing sysctl is undefined')
      t.equal((await linkJson(topo.client, 'eth0'))?.operstate, 'UP', 'client eth0 is up')
      t.equal(await linkJson(topo.client, 'nope0'), undefined, 'missing link is undefined')

      await startTcpEcho(t, topo.node, 7000)
      await startUdpEcho(t, topo.node, 7001)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 7000), 'TCP client -> node (IPv4)')
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, 7000), 'TCP client -> node (IPv6)')
      t.ok(await udpRoundTrip(topo.client, topo.nodeClientIp, 7001), 'UDP client -> node (IPv4)')
      t.ok(await udpRoundTrip(topo.client, topo.nodeClientIp6, 7001), 'UDP client -> node (IPv6)')
      t.ok(await udpRoundTrip(topo.client, topo.nodeClientIp, 7001), 'UDP again (a second datagram is served too)')
      t.notOk(await tcpRoundTrip(topo.client, topo.nodeClientIp, 7002, 1000), 'a closed TCP port fails the round trip')
      t.notOk(await udpRoundTrip(topo.client, topo.nodeClientIp, 7003, 1000), 'a closed UDP port fails the round trip')
      t.match(await nftRuleset(topo.node), /^\s*$/, 'a new node namespace has an empty ruleset')
    })
    // the subtest's teardown has run: nothing of it may remain
    if (!topo) return
    t.notOk(await netnsExists(topo.node.name), 'node netns deleted')
    t.notOk(await netnsExists(topo.client.name), 'client netns deleted')
    t.notOk(existsSync(topo.dir), 'temp dir removed')
    const left = await run(undefined, 'ss', ['-Hltnp', 'sport', '=', ':7000'])
    t.equal(left.stdout.trim(), '', 'no echo server left in this namespace either')
  })

  t.test('Debian bridge + host-local ADD/DEL through the invoke layer', async (t) => {
    const topo = await createTopology(t)
    const pod = await createPod(t, topo, 'pod')
    const conflist = bridgeConflist(topo, { name: 'harness-invoke', subnet: '10.250.1.0/24' }) as any
    // libcni hands each plugin the list's name and cniVersion inside the plugin's own config
    const bridgeConf = { cniVersion: conflist.cniVersion, name: conflist.name, ...conflist.plugins[0] }
    const env = { CNI_CONTAINERID: 'harness-invoke-1', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' }
    const before = await snapshot(topo.node)
    const rulesBefore = await nftRuleset(topo.node)

    const add = await invokeInNode(topo, 'bridge', bridgeConf, { ...env, CNI_COMMAND: 'ADD' })
    t.equal(add.file, '/usr/lib/cni/bridge', 'findPlugin falls through bin/ to Debian\'s bridge')
    t.notOk(add.error, 'ADD succeeded')
    const ip = podAddress(add.result)
    t.match(ip, /^10\.250\.1\.\d+$/, 'result has the pod address from host-local')
    t.ok(await linkJson(pod, 'eth0'), 'eth0 exists in the pod')
    t.ok(existsSync(join(topo.dir, 'ipam', 'harness-invoke', ip)), 'host-local recorded the lease in topo.dir')

    await startTcpEcho(t, pod, 8080)
    t.ok(await tcpRoundTrip(topo.client, ip, 8080), 'TCP round trip client -> pod through the node')

    const del = await invokeInNode(topo, 'bridge', { ...bridgeConf, prevResult: add.result }, { ...env, CNI_COMMAND: 'DEL' })
    t.notOk(del.error, 'DEL succeeded')
    t.equal(del.result, null, 'DEL prints nothing')
    t.equal(await linkJson(pod, 'eth0'), undefined, 'eth0 gone from the pod')
    t.notOk(existsSync(join(topo.dir, 'ipam', 'harness-invoke', ip)), 'lease released')
    t.same(withoutBridge(await snapshot(topo.node), 'cni0'), before, 'node links, addresses, routes as before (bar the bridge)')
    t.equal(await nftRuleset(topo.node), rulesBefore, 'node ruleset as before')
    const again = await invokeInNode(topo, 'bridge', bridgeConf, { ...env, CNI_COMMAND: 'DEL' })
    t.notOk(again.error, 'a second DEL is not an error')
    t.notOk(await tcpRoundTrip(topo.client, ip, 8080, 1000), 'the pod is unreachable after DEL')
  })

  t.test('the same conflist through libcni (cnirun): ADD, CHECK, DEL', async (t) => {
    const topo = await createTopology(t)
    const pod = await createPod(t, topo, 'pod')
    const file = await writeConf(topo, 'harness.conflist', bridgeConflist(topo, { name: 'harness-cnirun', subnet: '10.250.2.0/24' }))
    const before = await snapshot(topo.node)
    const rulesBefore = await nftRuleset(topo.node)

    const add = await cnirun(topo, 'add', file, pod)
    t.equal(add.exitCode, 0, 'cnirun add exits 0', { stderr: add.stderr })
    const ip = podAddress(add.json)
    t.match(ip, /^10\.250\.2\.\d+$/, 'libcni printed the result with the pod address')
    t.ok(existsSync(join(topo.cacheDir, 'results')), 'libcni cached the result in topo.cacheDir')
    await startTcpEcho(t, pod, 8080)
    t.ok(await tcpRoundTrip(topo.client, ip, 8080), 'TCP round trip client -> pod')

    const check = await cnirun(topo, 'check', file, pod)
    t.equal(check.exitCode, 0, 'cnirun check exits 0', { stderr: check.stderr })
    await run(pod, 'ip', ['addr', 'flush', 'dev', 'eth0'])
    const broken = await cnirun(topo, 'check', file, pod)
    t.not(broken.exitCode, 0, 'CHECK fails once the pod lost its address')

    const del = await cnirun(topo, 'del', file, pod)
    t.equal(del.exitCode, 0, 'cnirun del exits 0', { stderr: del.stderr })
    t.equal(await linkJson(pod, 'eth0'), undefined, 'eth0 gone')
    t.same(withoutBridge(await snapshot(topo.node), 'cni0'), before, 'node links, addresses, routes as before (bar the bridge)')
    t.equal(await nftRuleset(topo.node), rulesBefore, 'node ruleset as before')
    const again = await cnirun(topo, 'del', file, pod)
    t.equal(again.exitCode, 0, 'a second DEL is not an error')
  })
}
