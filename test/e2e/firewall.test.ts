// firewall e2e: libcni (cnirun) drives Debian's bridge + host-local, then cni-chain's portmap and
// firewall, in a node namespace whose iptables FORWARD policy is DROP (Docker's setting; set
// inside the node namespace only). Real packets between the test's own namespaces:
//  - a locked-down node: the pod reaches the client and gets replies, the client reaches the pod
//    through a published port, a new connection straight to the pod's address does not get in;
//    a pod without the firewall shows the DROP is real. IPv4 and IPv6.
//  - DEL with the libcni cache removed (no prevResult) leaves the ruleset as before the pod.
//  - the `chain` plugin hosting portmap + firewall does the same.
//  - `cni-chain doctor` names the FORWARD DROP and the rule cni-chain added for it.
//  - ingressPolicy on two networks with two bridges: open, same-bridge, isolated; the isolation
//    chain stays while a pod of its bridge lives and goes with the last one; GC on real nft.
import { existsSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { nftElementsBesideStamps, nftJsonStable } from './lib/inspect.js'
import t, { type Test } from 'tap'
import {
  cnirun, createPod, createTopology, e2eSkip, repoRoot, run, runOk, runPlugin, startTcpEcho, tcpRoundTrip, writeConf,
  type Netns, type Topology,
} from './lib/harness.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')

const ruleset = nftJsonStable

/** waitNoTentative waits (bounded: 50 polls, ~5 s) until dev in ns has no tentative IPv6 address. */
const waitNoTentative = async (ns: Netns, dev: string): Promise<void> => {
  for (let i = 0; i < 50 && /tentative/.test((await run(ns, 'ip', ['-6', 'addr', 'show', 'dev', dev])).stdout); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
}

const addressOf = (result: any, family: 4 | 6): string =>
  ((result?.ips ?? []) as { address: string }[]).map((i) => i.address.split('/')[0] ?? '').find((a) => a.includes(':') === (family === 6)) ?? ''

const bridgeOf = (topo: Topology, bridge: string, v4: string, v6?: string) => ({
  type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true,
  ipam: {
    type: 'host-local',
    ranges: [[{ subnet: v4 }], ...(v6 ? [[{ subnet: v6 }]] : [])],
    routes: [{ dst: '0.0.0.0/0' }, ...(v6 ? [{ dst: '::/0' }] : [])],
    dataDir: join(topo.dir, 'ipam'),
  },
})

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI) || !existsSync(join(repoRoot, 'bin', 'firewall'))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  t.test('a node whose FORWARD policy is DROP: bridge + portmap + firewall through libcni', async (t) => {
    const topo = await createTopology(t)
    const node = topo.node
    // Docker's setting, inside the test's node namespace only
    await runOk(node, 'iptables', ['-w', '-P', 'FORWARD', 'DROP'])
    await runOk(node, 'ip6tables', ['-w', '-P', 'FORWARD', 'DROP'])
    const pmState = join(topo.dir, 'portmap-state')
    const fwState = join(topo.dir, 'firewall-state')
    const metas = [
      { type: 'portmap', capabilities: { portMappings: true }, stateDir: pmState },
      { type: 'firewall', stateDir: fwState },
    ]
    const net = (plugins: object[]) => ({ cniVersion: '1.0.0', name: 'fwnet', plugins: [bridgeOf(topo, 'cc-fw0', '10.251.1.0/24', 'fd00:251:1::/64'), ...plugins] })
    const flat = await writeConf(topo, 'fwnet.conflist', net(metas))
    const nested = await writeConf(topo, 'fwnet-chain.conflist', net([{ type: 'chain', capabilities: { portMappings: true }, plugins: metas }]))
    const noFirewall = await writeConf(topo, 'fwnet-nofw.conflist', net([metas[0] as object]))
    const capArgs = (port: number) => ({ portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] })
    await startTcpEcho(t, topo.client, 7000)

    // warm-up: the bridge, both plugins' tables and the static iptables rules exist from here on
    const warm = await createPod(t, topo, 'fwwarm')
    const w = await cnirun(topo, 'add', flat, warm, { containerId: 'warm', capArgs: capArgs(18000) })
    t.equal(w.exitCode, 0, `warm-up ADD${w.exitCode === 0 ? '' : `: ${w.stdout}${w.stderr}`}`)
    t.equal((await cnirun(topo, 'del', flat, warm, { containerId: 'warm', capArgs: capArgs(18000) })).exitCode, 0, 'warm-up DEL')
    const baseline = await ruleset(node)
    t.match(baseline, /"name": "cni_firewall_v1"/, 'the firewall skeleton stays')
    t.notMatch(baseline, /fw-[a-z2-7]{16}/, 'no attachment chain after DEL')
    await waitNoTentative(node, 'cc-fw0')

    await t.test('the DROP is real: a pod without the firewall cannot reach the client', async (t) => {
      const pod = await createPod(t, topo, 'fwnofw')
      const add = await cnirun(topo, 'add', noFirewall, pod, { containerId: 'nofw' })
      t.equal(add.exitCode, 0, `ADD${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
      t.notOk(await tcpRoundTrip(pod, topo.clientIp, 7000, 1500), 'pod -> client dropped by FORWARD')
      t.equal((await cnirun(topo, 'del', noFirewall, pod, { containerId: 'nofw' })).exitCode, 0, 'DEL')
    })

    /** works: egress with replies, ingress through the published port, no new direct connection; both families. */
    const works = async (t: Test, pod: Netns, result: any, port: number, label: string) => {
      const [v4, v6] = [addressOf(result, 4), addressOf(result, 6)]
      t.match(v4, /^10\.251\.1\./, `${label}: IPv4 address`)
      t.match(v6, /^fd00:251:1:/, `${label}: IPv6 address`)
      await waitNoTentative(pod, 'eth0')
      await startTcpEcho(t, pod, 80)
      t.ok(await tcpRoundTrip(pod, topo.clientIp, 7000), `${label}: pod -> client and the replies (IPv4)`)
      t.ok(await tcpRoundTrip(pod, topo.clientIp6, 7000), `${label}: pod -> client and the replies (IPv6)`)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, port), `${label}: client -> node:${port} -> pod:80 (IPv4)`)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, port), `${label}: client -> [node]:${port} -> pod:80 (IPv6)`)
      t.notOk(await tcpRoundTrip(topo.client, v4, 80, 1500), `${label}: client -> pod:80 directly does not get in (IPv4)`)
      t.notOk(await tcpRoundTrip(topo.client, v6, 80, 1500), `${label}: client -> [pod]:80 directly does not get in (IPv6)`)
    }

    await t.test('standalone binaries: works; CHECK; DEL with the libcni cache removed leaves the ruleset as before', async (t) => {
      const pod = await createPod(t, topo, 'fwa')
      const add = await cnirun(topo, 'add', flat, pod, { containerId: 'fw-a', capArgs: capArgs(18001) })
      t.equal(add.exitCode, 0, `ADD${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
      await works(t, pod, add.json, 18001, 'binaries')
      const check = await cnirun(topo, 'check', flat, pod, { containerId: 'fw-a', capArgs: capArgs(18001) })
      t.equal(check.exitCode, 0, `libcni CHECK: ${check.stdout}${check.stderr}`)

      await t.test('cni-chain doctor names the FORWARD DROP and our rule', async (t) => {
        const r = await run(node, process.execPath, [CLI, 'doctor'], { env: { NODE_EXTRA_CA_CERTS: '' } })
        t.equal(r.exitCode, 0, r.stderr)
        const forward = JSON.parse((await runOk(node, 'nft', ['-j', 'list', 'chain', 'ip', 'filter', 'FORWARD'])).stdout).nftables as any[]
        const ours = forward.find((o) => o.rule?.expr?.some((e: any) => e.jump?.target === 'CNI-CHAIN-FORWARD'))?.rule
        t.ok(ours, 'the static rule is in FORWARD')
        t.match(r.stdout, new RegExp(`- ip filter FORWARD \\(priority 0\\) policy drop \\(iptables-nft\\): cni-chain accepts marked pod traffic with rule handle ${ours?.handle}\\b`), 'names the DROP and the handle of our rule')
        t.comment(r.stdout.trim())
        t.match(r.stdout, /- ip6 filter FORWARD \(priority 0\) policy drop \(ip6tables-nft\): cni-chain accepts marked pod traffic with rule handle \d+/)
        const rules = (await runOk(node, 'iptables', ['-w', '-S'])).stdout
        t.equal(rules.split('\n').filter((l) => /-j CNI-CHAIN-FORWARD$/.test(l)).length, 1, 'exactly one static rule per family')
      })

      await rm(join(topo.cacheDir, 'results'), { recursive: true, force: true })
      const del = await cnirun(topo, 'del', flat, pod, { containerId: 'fw-a', capArgs: capArgs(18001) })
      t.equal(del.exitCode, 0, `DEL without a cached result: ${del.stdout}${del.stderr}`)
      t.equal(await ruleset(node), baseline, 'the node ruleset is as before the pod')
      t.same(await readdir(join(fwState, 'attachments')), [], 'no firewall state left')
      t.equal((await cnirun(topo, 'del', flat, pod, { containerId: 'fw-a', capArgs: capArgs(18001) })).exitCode, 0, 'DEL again: idempotent')
    })

    await t.test('the chain plugin (portmap + firewall in one process) under libcni', async (t) => {
      const pod = await createPod(t, topo, 'fwb')
      const add = await cnirun(topo, 'add', nested, pod, { containerId: 'fw-b', capArgs: capArgs(18002) })
      t.equal(add.exitCode, 0, `ADD${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
      await works(t, pod, add.json, 18002, 'chain plugin')
      t.equal((await cnirun(topo, 'check', nested, pod, { containerId: 'fw-b', capArgs: capArgs(18002) })).exitCode, 0, 'libcni CHECK')
      await rm(join(topo.cacheDir, 'results'), { recursive: true, force: true })
      t.equal((await cnirun(topo, 'del', nested, pod, { containerId: 'fw-b', capArgs: capArgs(18002) })).exitCode, 0, 'DEL without a cached result')
      t.equal(await ruleset(node), baseline, 'the node ruleset is as before the pod')
    })
  })

  t.test('ingressPolicy on two bridges: open, same-bridge, isolated; isolation goes with the last pod', async (t) => {
    const topo = await createTopology(t)
    const node = topo.node
    const nets = { foo: { bridge: 'cc-fwfoo', subnet: '10.251.3.0/24' }, bar: { bridge: 'cc-fwbar', subnet: '10.251.4.0/24' } }
    const conf = async (name: 'foo' | 'bar', policy: string) => writeConf(topo, `${name}-${policy}.conflist`, {
      cniVersion: '1.0.0', name,
      plugins: [bridgeOf(topo, nets[name].bridge, nets[name].subnet), { type: 'firewall', ingressPolicy: policy, stateDir: join(topo.dir, 'fw') }],
    })
    const pods = [await createPod(t, topo, 'fwns0'), await createPod(t, topo, 'fwns1'), await createPod(t, topo, 'fwns2')]
    for (const p of pods) await startTcpEcho(t, p, 80)
    await startTcpEcho(t, topo.client, 7000)
    const reach = (from: number, to: string) => tcpRoundTrip(pods[from], to, 80, 1500)

    for (const policy of ['open', 'same-bridge', 'isolated']) {
      await t.test(policy, async (t) => {
        const foo = await conf('foo', policy)
        const bar = await conf('bar', policy)
        const where = [foo, foo, bar]
        const ips: string[] = []
        for (const [i, p] of pods.entries()) {
          const add = await cnirun(topo, 'add', where[i] as string, p, { containerId: `p${i}` })
          t.equal(add.exitCode, 0, `ADD ns${i}${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
          ips.push(addressOf(add.json, 4))
        }
        const [ip0, ip1, ip2] = ips as [string, string, string]
        const same = policy !== 'isolated'
        const cross = policy === 'open'
        t.equal(await reach(0, ip1), same, `ns0 -> ns1 (same bridge) ${same ? 'reaches' : 'blocked'}`)
        t.equal(await reach(1, ip0), same, `ns1 -> ns0 (same bridge) ${same ? 'reaches' : 'blocked'}`)
        t.equal(await reach(0, ip2), cross, `ns0 -> ns2 (other bridge) ${cross ? 'reaches' : 'blocked'}`)
        t.equal(await reach(2, ip0), cross, `ns2 -> ns0 (other bridge) ${cross ? 'reaches' : 'blocked'}`)
        t.equal(await reach(2, ip1), cross, `ns2 -> ns1 (other bridge) ${cross ? 'reaches' : 'blocked'}`)
        t.ok(await tcpRoundTrip(pods[0], topo.clientIp, 7000), 'pods still reach the outside')
        const check = await cnirun(topo, 'check', foo, pods[0] as Netns, { containerId: 'p0' })
        t.equal(check.exitCode, 0, `CHECK: ${check.stdout}${check.stderr}`)

        t.equal((await cnirun(topo, 'del', foo, pods[0] as Netns, { containerId: 'p0' })).exitCode, 0, 'DEL ns0')
        const isoFoo = /"name": "iso-cc-fwfoo"/
        if (policy !== 'open') {
          t.match(await ruleset(node), isoFoo, 'the foo isolation chain stays while ns1 is on the bridge')
          t.equal(await reach(2, ip1), false, 'and still isolates ns1')
        }
        t.equal((await cnirun(topo, 'del', foo, pods[1] as Netns, { containerId: 'p1' })).exitCode, 0, 'DEL ns1')
        t.notMatch(await ruleset(node), isoFoo, 'the foo isolation chain went with the last pod on the bridge')
        t.equal((await cnirun(topo, 'del', bar, pods[2] as Netns, { containerId: 'p2' })).exitCode, 0, 'DEL ns2')
        const after = await ruleset(node)
        t.notMatch(after, /"name": "iso-/, 'no isolation chain left')
        t.notMatch(after, /fw-[a-z2-7]{16}/, 'no attachment chain left')
        t.same(await nftElementsBesideStamps(node), [], 'no map element left (isolated, pods4, bridge table)')
      })
    }

    await t.test('GC (the plugin alone): attachments not listed go; no list removes nothing', async (t) => {
      const foo = await conf('foo', 'same-bridge')
      for (const i of [0, 1]) t.equal((await cnirun(topo, 'add', foo, pods[i] as Netns, { containerId: `p${i}` })).exitCode, 0, `ADD ns${i}`)
      const gc = (valid?: object[]) => runPlugin(topo, 'firewall', { CNI_COMMAND: 'GC' }, {
        cniVersion: '1.1.0', name: 'foo', type: 'firewall', stateDir: join(topo.dir, 'fw'), ...(valid ? { 'cni.dev/valid-attachments': valid } : {}),
      })
      const chains = async () => ((await ruleset(node)).match(/"name": "(fw-[a-z2-7]{16}|iso-[^"]+)"/g) ?? []).length
      t.equal(await chains(), 3, 'two attachment chains and the bridge\'s isolation chain')
      t.equal((await gc()).exitCode, 0, 'GC without a list')
      t.equal(await chains(), 3, 'removed nothing')
      t.equal((await gc([{ containerID: 'p0', ifname: 'eth0' }])).exitCode, 0, 'GC keeping ns0')
      t.equal(await chains(), 2, 'ns1\'s chain went; the isolation chain stays for ns0')
      t.equal((await gc([])).exitCode, 0, 'GC with an empty list')
      t.equal(await chains(), 0, 'nothing of the network left')
      for (const i of [0, 1]) t.equal((await cnirun(topo, 'del', foo, pods[i] as Netns, { containerId: `p${i}` })).exitCode, 0, `DEL ns${i} after GC`)
      t.same(await nftElementsBesideStamps(node), [], 'no element left')
    })
  })
}
