// Issue 8 against bin/portmap as root, in private namespaces (dual-stack bridge + host-local pods):
// - host-port takeover (Kubernetes' NodePorts rule) refused in both orders with code 100 naming the
//   owner, nothing changed by the refused ADD, the port still reaching its owner;
// - 10 parallel ADDs of pairwise-overlapping keys: exactly one wins, the losers leave nothing;
// - kube-proxy IPVS: Service VIPs on a device named kube-ipvs0 (a bridge here: no dummy module)
//   are never captured by a host port, from the node or from a pod, IPv4 and IPv6, while the
//   node's own address is; other VIP ranges via excludeDestinations and the admin's exclude4 set;
// - a hostile CNI_IFNAME survives `nft list ruleset` > file, flush, `nft -f` file unchanged;
// - garbage in an attachment record does not leave route_localnet at 1.
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  cnirun, createPod, createTopology, e2eSkip, nftRuleset, readSysctl, repoRoot, run, runOk, runPlugin, startTcpEcho, tcpRoundTrip,
  writeConf, type Netns, type Topology,
} from './lib/harness.js'

const SUBNET4 = '10.250.9.0/24'
const SUBNET6 = 'fd00:250:9::/64'

/** A dual-stack bridge network with cni-chain's portmap; extra keys go to the portmap entry. */
const network = async (topo: Topology, extra: object = {}): Promise<{ conf: string; stateDir: string }> => {
  const stateDir = join(topo.dir, 'portmap-state')
  const conf = await writeConf(topo, 'pmsec.conflist', {
    cniVersion: '1.0.0',
    name: 'pmsec',
    plugins: [
      {
        type: 'bridge', bridge: 'cni9', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: {
          type: 'host-local', ranges: [[{ subnet: SUBNET4 }], [{ subnet: SUBNET6 }]],
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }], dataDir: join(topo.dir, 'ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, stateDir, ...extra },
    ],
  })
  return { conf, stateDir }
}

/** waitNoTentative: bounded wait (50 × 100 ms) until dev in ns has no tentative IPv6 address. */
const waitNoTentative = async (ns: Netns, dev: string): Promise<void> => {
  for (let i = 0; i < 50 && /tentative/.test((await run(ns, 'ip', ['-6', 'addr', 'show', 'dev', dev])).stdout); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A wired pod (libcni ADD through the conflist) with TCP echo servers on `ports`. */
const wiredPod = async (t: Test, topo: Topology, conf: string, label: string, mappings: object[], ports: number[]): Promise<Netns> => {
  const pod = await createPod(t, topo, label)
  const add = await cnirun(topo, 'add', conf, pod, { containerId: label, capArgs: { portMappings: mappings } })
  t.equal(add.exitCode, 0, `${label} ADD: ${add.stdout}${add.stderr}`)
  t.teardown(() => cnirun(topo, 'del', conf, pod, { containerId: label }))
  await waitNoTentative(topo.node, 'cni9')
  await waitNoTentative(pod, 'eth0')
  for (const p of ports) await startTcpEcho(t, pod, p)
  return pod
}

/** Direct bin/portmap call (no libcni): exact CNI error JSON, any container id and ifname. */
const portmap = (topo: Topology, stateDir: string, verb: 'ADD' | 'DEL' | 'GC', cid: string, netns: Netns, mappings: object[] | undefined,
  opts: { ifname?: string; ips?: string[]; extra?: object } = {}) => {
  const ifname = opts.ifname ?? 'eth0'
  const conf = {
    cniVersion: verb === 'GC' ? '1.1.0' : '1.0.0', name: 'pmsec', type: 'portmap', stateDir, ...opts.extra,
    ...(mappings ? { runtimeConfig: { portMappings: mappings } } : {}),
    ...(verb === 'GC' ? {} : {
      prevResult: {
        cniVersion: '1.0.0', interfaces: [{ name: ifname, sandbox: netns.path }],
        ips: (opts.ips ?? ['10.250.9.200/24', 'fd00:250:9::200/64']).map((address) => ({ address, interface: 0 })),
      },
    }),
  }
  return runPlugin(topo, 'bin/portmap', { CNI_COMMAND: verb, CNI_CONTAINERID: cid, CNI_NETNS: netns.path, CNI_IFNAME: ifname }, conf)
}

const podChains = (ruleset: string): string[] => [...ruleset.matchAll(/chain (pm-[a-z2-7]{16}) \{/g)].map((m) => m[1] as string).sort()

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('takeover attempts are refused in both orders (code 100 naming the owner) and change nothing', async (t) => {
    const topo = await createTopology(t)
    const { conf, stateDir } = await network(topo)
    const H = topo.nodeClientIp
    const H6 = topo.nodeClientIp6

    // wildcard first: pod1 holds tcp/8080 on every address of both families
    const pod1 = await wiredPod(t, topo, conf, 'pod1', [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], [80])
    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'pod1 answers on node:8080 before the attempts')
    const intruder = await createPod(t, topo, 'intruder')
    const before = await nftRuleset(topo.node)
    const viaLibcni = await cnirun(topo, 'add', conf, intruder, { containerId: 'intruder', capArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, hostIP: H }] } })
    t.not(viaLibcni.exitCode, 0, 'libcni ADD of node-address:8080 fails')
    t.match(viaLibcni.stdout + viaLibcni.stderr, /tcp\/8080@192\.168\.250\.1 is already mapped/)
    t.match(viaLibcni.stdout + viaLibcni.stderr, /container pod1 /, 'naming pod1')
    await cnirun(topo, 'del', conf, intruder, { containerId: 'intruder' })
    for (const hostIP of [H, '127.0.0.1', '0.0.0.0', '::', H6, '']) {
      const r = await portmap(topo, stateDir, 'ADD', 'intruder', intruder, [{ hostPort: 8080, containerPort: 80, hostIP }])
      t.not(r.exitCode, 0, `hostIP ${JSON.stringify(hostIP)}: refused`)
      t.equal(r.json?.code, 100, `hostIP ${JSON.stringify(hostIP)}: code 100 (${r.stdout})`)
      t.match(r.json?.details, /owned by container pod1 \(network pmsec, interface eth0/, 'names the owner')
      t.equal(await nftRuleset(topo.node), before, 'the ruleset is as before')
    }
    t.same((await readdir(join(stateDir, 'attachments'))).length, 1, 'only pod1 has a record')
    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'client → node:8080 still reaches pod1')
    t.ok(await tcpRoundTrip(topo.client, H6, 8080), 'client → [node]:8080 still reaches pod1')
    t.ok(await tcpRoundTrip(topo.node, '127.0.0.1', 8080), 'node → 127.0.0.1:8080 still reaches pod1')
    t.ok(await tcpRoundTrip(topo.node, H, 8080), 'node → its own address:8080 reaches pod1')

    // specific first: pod2 holds tcp/9090 on the node's IPv4 address only
    const pod2 = await wiredPod(t, topo, conf, 'pod2', [{ hostPort: 9090, containerPort: 90, hostIP: H }], [90])
    const before2 = await nftRuleset(topo.node)
    for (const hostIP of ['', '0.0.0.0', H]) {
      const r = await portmap(topo, stateDir, 'ADD', 'intruder', intruder, [{ hostPort: 9090, containerPort: 90, hostIP }])
      t.equal(r.json?.code, 100, `wildcard-after-specific, hostIP ${JSON.stringify(hostIP)}: code 100 (${r.stdout})`)
      t.match(r.json?.details, /owned by container pod2 .* for tcp\/9090@192\.168\.250\.1/, 'names pod2 and its address')
      t.equal(await nftRuleset(topo.node), before2, 'the ruleset is as before')
    }
    t.ok(await tcpRoundTrip(topo.client, H, 9090), 'client → node:9090 still reaches pod2')
    // run-time publishing follows the same rule: pod2 cannot publish node-address:8080 over pod1
    const entry = join(topo.cacheDir, 'results', 'pmsec-pod2-eth0')
    const cached = await readFile(entry, 'utf8')
    const pub = await run(topo.node, process.execPath, [join(repoRoot, 'bin', 'cni-chain'), 'ports', 'publish', 'pod2', '8080:80/tcp', '--host-ip', H,
      '--network', conf, '--cache-dir', topo.cacheDir], { env: { NODE_EXTRA_CA_CERTS: '' }, timeoutMs: 60_000 })
    t.not(pub.exitCode, 0, 'ports publish of a held key fails')
    t.match(pub.stdout + pub.stderr, /\b100\b/, `with code 100: ${pub.stderr.trim()}`)
    t.match(pub.stdout + pub.stderr, /tcp\/8080@192\.168\.250\.1 is already mapped/)
    t.match(pub.stdout + pub.stderr, /container pod1 /, 'naming pod1')
    t.equal(await nftRuleset(topo.node), before2, 'the ruleset is as before')
    t.equal(await readFile(entry, 'utf8'), cached, 'pod2\'s cache entry is as before')
    t.ok(await tcpRoundTrip(topo.client, H, 8080), 'node:8080 still reaches pod1')

    // what the rule allows: another address of the port, and the other family's wildcard
    const pod3 = await wiredPod(t, topo, conf, 'pod3', [{ hostPort: 9090, containerPort: 91, hostIP: '127.0.0.1' }, { hostPort: 9090, containerPort: 91, hostIP: '::' }], [91])
    t.ok(await tcpRoundTrip(topo.node, '127.0.0.1', 9090), 'node → 127.0.0.1:9090 reaches pod3')
    t.ok(await tcpRoundTrip(topo.client, H6, 9090), 'client → [node]:9090 reaches pod3 (IPv6 wildcard)')
    t.ok(await tcpRoundTrip(topo.client, H, 9090), 'client → node:9090 still reaches pod2')
    // the shared port chain outlives one holder, goes with the last
    t.equal((await cnirun(topo, 'del', conf, pod2, { containerId: 'pod2' })).exitCode, 0, 'DEL pod2')
    t.match(await nftRuleset(topo.node), /chain sp4-tcp-9090 /, 'sp4-tcp-9090 stays while pod3 holds 127.0.0.1:9090')
    t.ok(await tcpRoundTrip(topo.node, '127.0.0.1', 9090), 'pod3 still reached on 127.0.0.1:9090')
    const wild = await portmap(topo, stateDir, 'ADD', 'intruder', intruder, [{ hostPort: 9090, containerPort: 90, hostIP: '0.0.0.0' }])
    t.equal(wild.json?.code, 100, 'the IPv4 wildcard is still refused (pod3 holds 127.0.0.1)')
    t.equal((await cnirun(topo, 'del', conf, pod3, { containerId: 'pod3' })).exitCode, 0, 'DEL pod3')
    t.notMatch(await nftRuleset(topo.node), /sp4-tcp-9090|specific4 \}|: goto specific/, 'the last holder took the shared chain and port entry with it')
    const nowFree = await portmap(topo, stateDir, 'ADD', 'intruder', intruder, [{ hostPort: 9090, containerPort: 90 }])
    t.equal(nowFree.exitCode, 0, `the wildcard succeeds once no address holds the port: ${nowFree.stdout}`)
    t.equal((await portmap(topo, stateDir, 'DEL', 'intruder', intruder, undefined)).exitCode, 0, 'DEL intruder')
    void pod1
  })

  t.test('10 parallel ADDs of overlapping keys: exactly one wins, the losers leave nothing', async (t) => {
    const topo = await createTopology(t)
    const { stateDir } = await network(topo)
    const ns = await createPod(t, topo, 'par')
    const warm = await portmap(topo, stateDir, 'ADD', 'warm', ns, [{ hostPort: 7000, containerPort: 1 }])
    t.equal(warm.exitCode, 0, 'warm-up ADD (creates the table)')
    t.equal((await portmap(topo, stateDir, 'DEL', 'warm', ns, undefined)).exitCode, 0, 'warm-up DEL')
    const empty = await nftRuleset(topo.node)
    // pairwise overlapping: unset, 0.0.0.0 and the node address all collide on tcp/7070; each
    // attempt also maps a port of its own, which must not survive a loss
    const variants = [undefined, '0.0.0.0', topo.nodeClientIp]
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => portmap(topo, stateDir, 'ADD', `par${i}`, ns, [
      { hostPort: 7070, containerPort: 80, ...(variants[i % 3] ? { hostIP: variants[i % 3] } : {}) },
      { hostPort: 7100 + i, containerPort: 81 },
    ], { ips: [`10.250.9.${100 + i}/24`, `fd00:250:9::${100 + i}/64`] })))
    const winners = results.flatMap((r, i) => (r.exitCode === 0 ? [i] : []))
    t.equal(winners.length, 1, `exactly one ADD wins (${winners.join(', ')})`)
    const losers = results.filter((r) => r.exitCode !== 0)
    t.ok(losers.every((r) => r.json?.code === 100), `every loser answers code 100: ${losers.map((r) => r.json?.code).join(',')}`)
    const ruleset = await nftRuleset(topo.node)
    t.equal(podChains(ruleset).length, 1, 'one pod chain in the table')
    for (let i = 0; i < 10; i++) {
      if (i === winners[0]) t.match(ruleset, new RegExp(`tcp \\. ${7100 + i} : goto pm-`), `the winner's own port ${7100 + i} is mapped`)
      else t.notMatch(ruleset, new RegExp(`\\b${7100 + i}\\b`), `loser ${i}'s own port ${7100 + i} is not`)
    }
    t.same(await readdir(join(stateDir, 'attachments')), [podChains(ruleset)[0]], 'one record: the winner\'s')
    t.equal((await portmap(topo, stateDir, 'DEL', `par${winners[0]}`, ns, undefined)).exitCode, 0, 'the winner\'s DEL')
    t.equal(await nftRuleset(topo.node), empty, 'back to the empty skeleton')
  })

  t.test('IPVS: Service VIPs on kube-ipvs0 are never captured by a host port; the node\'s own address is', async (t) => {
    const topo = await createTopology(t)
    const node = topo.node
    // kube-proxy's IPVS device (a dummy in real life; down, /32 and /128 VIPs)
    await runOk(node, 'ip', ['link', 'add', 'kube-ipvs0', 'type', 'bridge'])
    await runOk(node, 'ip', ['addr', 'add', '10.96.0.1/32', 'dev', 'kube-ipvs0'])
    await runOk(node, 'ip', ['-6', 'addr', 'add', 'fd00:96::1/128', 'dev', 'kube-ipvs0', 'nodad'])
    // other VIP ranges bound elsewhere: one for excludeDestinations, one for the admin's set
    await runOk(node, 'ip', ['link', 'add', 'vip0', 'type', 'bridge'])
    await runOk(node, 'ip', ['addr', 'add', '10.97.0.5/32', 'dev', 'vip0'])
    await runOk(node, 'ip', ['addr', 'add', '10.98.0.5/32', 'dev', 'vip0'])
    const { conf, stateDir } = await network(topo, { excludeDestinations: ['10.97.0.0/16'] })
    const pod = await wiredPod(t, topo, conf, 'https', [{ hostPort: 443, containerPort: 443 }], [443])
    const other = await wiredPod(t, topo, conf, 'other', [], [])
    await runOk(node, 'nft', ['add', 'element', 'inet', 'cni_portmap_v2', 'exclude4', '{', '10.98.0.0/16', '}'])

    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 443), 'client → node:443 reaches the pod')
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, 443), 'client → [node]:443 reaches the pod')
    t.ok(await tcpRoundTrip(node, topo.nodeClientIp, 443), 'node → its own address:443 reaches the pod')
    t.ok(await tcpRoundTrip(other, topo.nodeClientIp, 443), 'another pod → node address:443 reaches the pod')
    for (const vip of ['10.96.0.1', 'fd00:96::1', '10.97.0.5', '10.98.0.5']) {
      t.notOk(await tcpRoundTrip(node, vip, 443, 1500), `node → ${vip}:443 does not reach the pod`)
      t.notOk(await tcpRoundTrip(other, vip, 443, 1500), `another pod → ${vip}:443 does not reach the pod`)
    }
    // control: without its ipvs4 entry the VIP is captured (what this test would see without the fix);
    // a VIP bound after the ADD is also unknown until the next GC (or host-port ADD) refreshes the set
    await runOk(node, 'nft', ['flush', 'set', 'inet', 'cni_portmap_v2', 'ipvs4'])
    await runOk(node, 'ip', ['addr', 'add', '10.96.0.2/32', 'dev', 'kube-ipvs0'])
    t.ok(await tcpRoundTrip(node, '10.96.0.1', 443), 'control: with the ipvs4 set emptied, node → 10.96.0.1:443 is captured')
    const gc = await portmap(topo, stateDir, 'GC', '', pod, undefined, { extra: { 'cni.dev/valid-attachments': [{ containerID: 'https', ifname: 'eth0' }] } })
    t.equal(gc.exitCode, 0, `GC: ${gc.stdout}`)
    for (const vip of ['10.96.0.1', '10.96.0.2']) {
      t.notOk(await tcpRoundTrip(other, vip, 443, 1500), `after GC, another pod → ${vip}:443 does not reach the pod`)
    }
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 443), 'GC kept the live mapping')
  })

  t.test('a hostile CNI_IFNAME survives a text save and restore of the ruleset unchanged', async (t) => {
    const topo = await createTopology(t)
    const { stateDir } = await network(topo)
    const ns = await createPod(t, topo, 'hostile')
    for (const [i, ifname] of ['x";drop#', 'x"drop', 'a;b%c'].entries()) {
      const r = await portmap(topo, stateDir, 'ADD', `hostile${i}`, ns, [{ hostPort: 6000 + i, containerPort: 80 }, { hostPort: 6100 + i, containerPort: 80, hostIP: '127.0.0.1' }],
        { ifname, ips: [`10.250.9.${50 + i}/24`] })
      t.equal(r.exitCode, 0, `ADD with ifname ${JSON.stringify(ifname)}: ${r.stdout}`)
    }
    const before = await nftRuleset(topo.node)
    const beforeJson = (await runOk(topo.node, 'nft', ['-j', 'list', 'ruleset'])).stdout
    const comments = [...before.matchAll(/comment "([^"\n]*)"/g)].map((m) => m[1] as string)
    t.equal(comments.length, 6, 'one DNAT comment per mapping')
    t.ok(comments.every((c) => /^[A-Za-z0-9._%/=@:[\] -]*$/.test(c)), `comments in the safe alphabet: ${comments.join(' | ')}`)
    const file = join(topo.dir, 'saved.nft')
    await writeFile(file, before)
    await runOk(topo.node, 'nft', ['flush', 'ruleset'])
    const restore = await run(topo.node, 'nft', ['-f', file])
    t.equal(restore.exitCode, 0, `nft -f loads the saved ruleset: ${restore.stderr}`)
    t.equal(await nftRuleset(topo.node), before, 'the same ruleset (text)')
    const strip = (j: string) => JSON.stringify((JSON.parse(j).nftables as object[]).filter((o) => !('metainfo' in o)),
      (k, v) => (k === 'handle' ? undefined : v))
    t.equal(strip((await runOk(topo.node, 'nft', ['-j', 'list', 'ruleset'])).stdout), strip(beforeJson), 'the same rules and elements (JSON, handles aside)')
    t.notMatch(await readFile(file, 'utf8'), /^\s*drop\b/m, 'no stray drop statement')
    // the comments still name their owners: a DEL without portMappings finds every key
    for (const [i, ifname] of ['x";drop#', 'x"drop', 'a;b%c'].entries()) {
      const d = await portmap(topo, stateDir, 'DEL', `hostile${i}`, ns, undefined, { ifname })
      t.equal(d.exitCode, 0, `DEL ${JSON.stringify(ifname)}`)
    }
    const after = await nftRuleset(topo.node)
    t.same(podChains(after), [], 'no pod chain left')
    t.notMatch(after, /goto pm-|sp4-tcp/, 'no element or shared chain left')
  })

  t.test('garbage in an attachment record: route_localnet still goes back after the last pod and GC', async (t) => {
    const topo = await createTopology(t)
    const { conf, stateDir } = await network(topo)
    const warm = await createPod(t, topo, 'lnwarm')
    t.equal((await cnirun(topo, 'add', conf, warm, { containerId: 'lnwarm' })).exitCode, 0, 'a pod without host ports creates the bridge')
    t.equal(await readSysctl(topo.node, 'net/ipv4/conf/cni9/route_localnet'), '0')
    for (const verb of ['DEL', 'GC'] as const) {
      const pod = await createPod(t, topo, `ln${verb.toLowerCase()}`)
      const add = await cnirun(topo, 'add', conf, pod, { containerId: `ln${verb}`, capArgs: { portMappings: [{ hostPort: 8181, containerPort: 80 }] } })
      t.equal(add.exitCode, 0, `ADD (${verb} case)`)
      t.equal(await readSysctl(topo.node, 'net/ipv4/conf/cni9/route_localnet'), '1', 'route_localnet on for the snat pod')
      const [record] = await readdir(join(stateDir, 'attachments'))
      await writeFile(join(stateDir, 'attachments', record as string), '{"localnet": garbage')
      if (verb === 'DEL') {
        t.equal((await cnirun(topo, 'del', conf, pod, { containerId: `ln${verb}` })).exitCode, 0, 'DEL')
      } else {
        const gc = await portmap(topo, stateDir, 'GC', '', pod, undefined, { extra: { 'cni.dev/valid-attachments': [] } })
        t.equal(gc.exitCode, 0, `GC: ${gc.stdout}`)
        await cnirun(topo, 'del', conf, pod, { containerId: `ln${verb}` })
      }
      t.equal(await readSysctl(topo.node, 'net/ipv4/conf/cni9/route_localnet'), '0', `route_localnet back to 0 after ${verb}`)
      t.same(await readdir(join(stateDir, 'localnet', 'cni9')).catch(() => []), [], 'no marker (nor .orig) left')
    }
    await cnirun(topo, 'del', conf, warm, { containerId: 'lnwarm' })
  })
}
