// portmap e2e: libcni (cnirun) drives Debian's bridge + host-local, then bin/portmap, in a node
// namespace; real packets from a client namespace, the pod itself, another pod and the node.
// "Back to its state before the pod": the first pod creates portmap's constant skeleton (table,
// base chains, maps), which stays; so the baseline is the ruleset after a warm-up pod's ADD+DEL.
import { join } from 'node:path'
import t from 'tap'
import {
  bridgeConflist, cnirun, createPod, createTopology, e2eSkip, nftRuleset, readSysctl, repoRoot, run,
  startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip, writeConf,
} from './lib/harness.js'

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('portmap through libcni: reachability, hairpin, localhost, conflict, publish, cleanup', async (t) => {
    const topo = await createTopology(t)
    const stateDir = join(topo.dir, 'portmap-state')
    const conflist = bridgeConflist(topo, {
      name: 'pmnet', subnet: '10.250.7.0/24',
      plugins: [{ type: 'portmap', capabilities: { portMappings: true }, stateDir }],
    })
    const confPath = await writeConf(topo, 'pmnet.conflist', conflist)
    const node = topo.node
    const H = topo.nodeClientIp

    // warm-up pod: creates the bridge and portmap's skeleton
    const warm = await createPod(t, topo, 'pmwarm')
    const w1 = await cnirun(topo, 'add', confPath, warm, { containerId: 'warm', capArgs: { portMappings: [{ hostPort: 18000, containerPort: 80, protocol: 'tcp' }] } })
    t.equal(w1.exitCode, 0, `warm-up ADD: ${w1.stdout}${w1.stderr}`)
    const localnetBefore = await readSysctl(node, 'net/ipv4/conf/cni0/route_localnet')
    t.equal(localnetBefore, '1', 'route_localnet on the bridge while a snat pod is mapped')
    t.equal((await cnirun(topo, 'del', confPath, warm, { containerId: 'warm' })).exitCode, 0, 'warm-up DEL')
    t.equal(await readSysctl(node, 'net/ipv4/conf/cni0/route_localnet'), '0', 'route_localnet reverted after the last user')
    const baseline = await nftRuleset(node)
    t.match(baseline, /table inet cni_portmap_v2/, 'skeleton stays')
    t.notMatch(baseline, /pm-[a-z2-7]{16}/, 'no pod chain after DEL')

    const pod = await createPod(t, topo, 'pma')
    const other = await createPod(t, topo, 'pmb')
    const mappings = [
      { HostPort: 8080, ContainerPort: 80, Protocol: 'TCP' },
      { hostPort: 8053, containerPort: 53, protocol: 'udp' },
      { hostPort: 8081, containerPort: 80, protocol: 'tcp', hostIP: H },
    ]
    const add = await cnirun(topo, 'add', confPath, pod, { containerId: 'pod-a', capArgs: { portMappings: mappings } })
    t.equal(add.exitCode, 0, `ADD: ${add.stdout}${add.stderr}`)
    const podIp = String(add.json?.ips?.[0]?.address ?? '').split('/')[0] ?? ''
    t.match(podIp, /^10\.250\.7\./, 'pod address')
    const addB = await cnirun(topo, 'add', confPath, other, { containerId: 'pod-b' })
    t.equal(addB.exitCode, 0, 'second pod (no mappings) ADD')

    await startTcpEcho(t, pod, 80)
    await startUdpEcho(t, pod, 53)

    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'TCP client -> node:8080 -> pod:80')
    t.ok(await udpRoundTrip(topo.client, H, 8053), 'UDP client -> node:8053 -> pod:53')
    t.ok(await tcpRoundTrip(topo.client, H, 8081), 'hostIP-bound port answers on that address')
    t.ok(await tcpRoundTrip(pod, H, 8080), 'hairpin: the pod reaches its own host port')
    t.ok(await tcpRoundTrip(other, H, 8080), 'another pod on the bridge reaches it via the host port')
    t.ok(await tcpRoundTrip(node, '127.0.0.1', 8080), '127.0.0.1:8080 from the node')
    t.notOk(await tcpRoundTrip(topo.client, H, 8082, 1000), 'an unmapped port does not answer')

    const check = await cnirun(topo, 'check', confPath, pod, { containerId: 'pod-a' })
    t.equal(check.exitCode, 0, `libcni CHECK passes: ${check.stdout}${check.stderr}`)

    // conflict: a third pod asks for tcp/8080
    const third = await createPod(t, topo, 'pmc')
    const before = await nftRuleset(node)
    const conflict = await cnirun(topo, 'add', confPath, third, { containerId: 'pod-c', capArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } })
    t.not(conflict.exitCode, 0, 'conflicting ADD fails')
    t.match(conflict.stdout + conflict.stderr, /tcp\/8080 is already mapped/, 'error names the port')
    t.match(conflict.stdout + conflict.stderr, /pod-a/, 'error names the owner')
    t.equal(await nftRuleset(node), before, 'conflicting ADD changed nothing in nft')
    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'first pod still reachable after the conflict')
    await cnirun(topo, 'del', confPath, third, { containerId: 'pod-c' })

    // run-time publishing through the CLI (in the node namespace)
    const cli = join(repoRoot, 'bin', 'cni-chain')
    const ports = (args: string[]) => run(node, process.execPath, [cli, 'ports', ...args], { env: { NODE_EXTRA_CA_CERTS: '' } })
    const pub = await ports(['publish', 'pod-a', '9090:80/tcp', '--network', confPath, '--cache-dir', topo.cacheDir])
    t.equal(pub.exitCode, 0, `ports publish: ${pub.stdout}${pub.stderr}`)
    t.ok(await tcpRoundTrip(topo.client, H, 9090), 'published port reachable')
    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'earlier port still reachable')
    const list = await ports(['list', '--cache-dir', topo.cacheDir])
    t.match(list.stdout, /pod-a\teth0\ttcp 9090 -> 80/, `ports list shows it: ${list.stdout}${list.stderr}`)
    const unpub = await ports(['unpublish', 'pod-a', '8081:80', '--host-ip', H, '--network', confPath, '--cache-dir', topo.cacheDir])
    t.equal(unpub.exitCode, 0, `ports unpublish: ${unpub.stdout}${unpub.stderr}`)
    t.notOk(await tcpRoundTrip(topo.client, H, 8081, 1000), 'unpublished port no longer answers')

    // the UDP round trip above left a conntrack entry for the host port; DEL must drop it, or a
    // later pod on the same port would get the flow DNATed to the dead address (reference #1190)
    const udpFlows = async () => (await run(node, 'conntrack', ['-L', '-p', 'udp', '--orig-port-dst', '8053'])).stdout.trim()
    t.match(await udpFlows(), /dport=8053/, 'a UDP flow to the host port is tracked before DEL')

    // DEL without portMappings (cnirun passes none): the pod chain's comments name its keys,
    // including the run-time published 9090
    t.equal((await cnirun(topo, 'del', confPath, pod, { containerId: 'pod-a' })).exitCode, 0, 'DEL')
    t.equal(await udpFlows(), '', 'DEL flushed the UDP conntrack entries of the host port')
    const del2 = await cnirun(topo, 'del', confPath, pod, { containerId: 'pod-a' })
    t.equal(del2.exitCode, 0, `second DEL succeeds: ${del2.stdout}${del2.stderr}`)
    t.notOk(await tcpRoundTrip(topo.client, H, 8080, 1000), 'host port gone after DEL')
    t.notOk(await tcpRoundTrip(topo.client, H, 9090, 1000), 'published port gone after DEL')
    t.equal((await cnirun(topo, 'del', confPath, other, { containerId: 'pod-b' })).exitCode, 0, 'DEL pod b')
    t.equal(await nftRuleset(node), baseline, 'node ruleset back to the post-warm-up baseline')
    t.equal(await readSysctl(node, 'net/ipv4/conf/cni0/route_localnet'), '0', 'route_localnet reverted')
  })

  t.test('portmap on a dual-stack pod: IPv6 DNAT to [addr]:port, IPv4 alongside', async (t) => {
    const topo = await createTopology(t)
    const stateDir = join(topo.dir, 'portmap-state')
    const conflist = {
      cniVersion: '1.0.0',
      name: 'pm6',
      plugins: [
        {
          type: 'bridge', bridge: 'cni6', isGateway: true, ipMasq: false, hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.250.8.0/24' }], [{ subnet: 'fd00:250:8::/64' }]],
            routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
            dataDir: join(topo.dir, 'ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, stateDir },
      ],
    }
    const confPath = await writeConf(topo, 'pm6.conflist', conflist)
    const pod = await createPod(t, topo, 'pm6')
    const capArgs = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostPort: 8053, containerPort: 53, protocol: 'udp' }] }
    const add = await cnirun(topo, 'add', confPath, pod, { containerId: 'pod6', capArgs })
    t.equal(add.exitCode, 0, `ADD: ${add.stdout}${add.stderr}`)
    const addrs = ((add.json?.ips ?? []) as { address: string }[]).map((i) => i.address.split('/')[0])
    t.ok(addrs.some((a) => a?.includes(':')), `the pod has an IPv6 address: ${addrs.join(' ')}`)
    // the bridge's IPv6 gateway address must finish DAD before the pod can route through it
    for (let i = 0; i < 50 && /tentative/.test((await run(topo.node, 'ip', ['-6', 'addr', 'show', 'dev', 'cni6'])).stdout); i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    for (let i = 0; i < 50 && /tentative/.test((await run(pod, 'ip', ['-6', 'addr', 'show', 'dev', 'eth0'])).stdout); i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    await startTcpEcho(t, pod, 80)
    await startUdpEcho(t, pod, 53)
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, 8080), 'TCP client -> [node]:8080 -> [pod]:80')
    t.ok(await udpRoundTrip(topo.client, topo.nodeClientIp6, 8053), 'UDP client -> [node]:8053 -> [pod]:53')
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 8080), 'the same port over IPv4')
    t.notOk(await tcpRoundTrip(topo.node, '::1', 8080, 1000), '[::1]:8080 is never DNATed (no IPv6 route_localnet)')
    t.match(await nftRuleset(topo.node), /dnat ip6 to \[fd00:250:8::[0-9a-f]+\]:80/, 'IPv6 DNAT rule in the pod chain')
    t.equal((await cnirun(topo, 'check', confPath, pod, { containerId: 'pod6' })).exitCode, 0, 'libcni CHECK passes')
    t.equal((await cnirun(topo, 'del', confPath, pod, { containerId: 'pod6' })).exitCode, 0, 'DEL')
    t.notOk(await tcpRoundTrip(topo.client, topo.nodeClientIp6, 8080, 1000), 'IPv6 host port gone after DEL')
    t.notMatch(await nftRuleset(topo.node), /pm-[a-z2-7]{16}/, 'no pod chain after DEL')
  })
}
