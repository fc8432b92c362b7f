// bandwidth under libcni (cnirun) in real namespaces: Debian bridge + host-local, then cni-chain's
// bandwidth. Real TCP (iperf3, 3-second runs) from the node namespace into the pod and back (-R)
// measures the shaping; tc shows what is installed; DEL (libcni's, or the binary's own) must leave
// no tbf, no filter of ours and no ifb, and must not touch a foreign clsact filter. Also: the
// Kubernetes annotations through `cni-chain add --annotation`, containerd's spelling and "no burst"
// value, and bandwidth inside the `chain` plugin.
//
// Rates are measured, so they carry the machine's noise (2 shared vCPUs): each measured direction
// gets up to 3 runs and the best counts for the lower bound, while EVERY run must stay under the
// upper bound (shaping that leaks shows up as a run above it, CPU starvation only as runs below).
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  bridgeConflist, cnirun, createPod, createTopology, e2eSkip, repoRoot, run, runOk, runPlugin, sleep, startTcpEcho, tcpRoundTrip,
  writeConf, type Netns, type Topology,
} from './lib/harness.js'
import { track, untrack } from './lib/leftovers.js'
import { killGroup, spawnBackground } from './lib/proc.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')
const PREF = 65000

/** hostVethOf: the node-side name of the pod's eth0 (its veth peer). */
const hostVethOf = async (topo: Topology, pod: Netns): Promise<string> => {
  const eth0 = JSON.parse((await runOk(pod, 'ip', ['-j', '-d', 'link', 'show', 'dev', 'eth0'])).stdout)[0]
  const links = JSON.parse((await runOk(topo.node, 'ip', ['-j', 'link', 'show'])).stdout) as any[]
  const peer = links.find((l) => l.ifindex === eth0.link_index)
  if (!peer) throw new Error(`no veth peer of eth0 (${eth0.link_index}) in the node`)
  return peer.ifname as string
}

const qdiscs = async (ns: Netns, dev: string): Promise<any[]> => JSON.parse((await runOk(ns, 'tc', ['-j', 'qdisc', 'show', 'dev', dev])).stdout || '[]')
const filters = async (ns: Netns, dev: string): Promise<any[]> => JSON.parse((await runOk(ns, 'tc', ['-j', 'filter', 'show', 'dev', dev, 'ingress'])).stdout || '[]')
const ifbs = async (ns: Netns): Promise<string[]> =>
  (JSON.parse((await runOk(ns, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as any[]).filter((l) => l.linkinfo?.info_kind === 'ifb').map((l) => l.ifname)
/** the whole node's tc picture: every device's qdiscs (for before/after comparisons) */
const nodeTc = async (ns: Netns): Promise<string> => (await runOk(ns, 'tc', ['qdisc', 'show'])).stdout.split('\n').filter((l) => l !== '').sort().join('\n')

let nextPort = 15201
/**
 * iperf runs one 3-second iperf3 test from the node namespace to the pod (reverse: the pod sends)
 * and returns the receiver's bits/s. The server is a one-shot iperf3 in the pod, killed in any case.
 */
const iperf = async (t: Test, topo: Topology, pod: Netns, podIp: string, reverse: boolean): Promise<number> => {
  const port = nextPort++
  const server = spawnBackground(pod, 'iperf3', ['-s', '-1', '-p', String(port)])
  const pid = server.pid
  if (pid === undefined) throw new Error('iperf3 server did not start')
  track.group(pid)
  try {
    const deadline = Date.now() + 5000
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      const ss = await run(pod, 'ss', ['-Hltn', 'sport', '=', `:${port}`], { timeoutMs: 5000 })
      if (ss.stdout.trim() !== '') break
      await sleep(50)
    }
    const r = await run(topo.node, 'iperf3', ['-c', podIp, '-p', String(port), '-t', '3', '-J', ...(reverse ? ['-R'] : [])], { timeoutMs: 20_000 })
    const json = JSON.parse(r.stdout || '{}')
    const bps = json?.end?.sum_received?.bits_per_second
    if (typeof bps !== 'number') throw new Error(`iperf3 failed (${r.exitCode}): ${json?.error ?? r.stderr}`)
    return bps
  } finally {
    killGroup(pid)
    await server
    untrack.group(pid)
  }
}

/** measure: up to 3 runs; every run below `hi`, the best at least `lo` (see the file comment). */
const measure = async (t: Test, topo: Topology, pod: Netns, podIp: string, reverse: boolean, rate: number, lo: number, hi: number): Promise<void> => {
  const ratios: number[] = []
  for (let i = 0; i < 3; i++) {
    ratios.push((await iperf(t, topo, pod, podIp, reverse)) / rate)
    if ((ratios.at(-1) as number) >= lo) break
  }
  const label = `${reverse ? 'out of the pod (-R)' : 'into the pod'} at ${rate / 1e6} Mbit/s: goodput/rate ${ratios.map((r) => r.toFixed(3)).join(', ')}`
  t.comment(label)
  t.ok(ratios.every((r) => r <= hi), `${label}: every run <= ${hi}`)
  t.ok(Math.max(...ratios) >= lo, `${label}: best run >= ${lo}`)
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(join(repoRoot, 'bin', 'bandwidth')) || !existsSync(CLI)) {
  t.plan(0, 'bin/bandwidth or bin/cni-chain is missing: run npm run build first')
} else {
  t.test('bandwidth through libcni', async (t) => {
    const topo = await createTopology(t)
    const dataDir = join(topo.dir, 'bandwidth')
    const SUBNET = '10.253.0.0/24'
    const list = (file: string, plugins: object[]) => writeConf(topo, file, bridgeConflist(topo, { name: 'bwnet', subnet: SUBNET, plugins }))
    const bw20 = { ingressRate: 20_000_000, ingressBurst: 200_000, egressRate: 20_000_000, egressBurst: 200_000 }
    const staticList = await list('static.conflist', [{ type: 'bandwidth', dataDir, ...bw20 }])
    const bridgeOnly = await list('bridge.conflist', [])
    const capsList = await list('caps.conflist', [{ type: 'bandwidth', dataDir, capabilities: { bandwidth: true, 'io.kubernetes.cri.pod-annotations': true } }])
    const chainList = await list('chain.conflist', [{ type: 'chain', capabilities: { bandwidth: true }, plugins: [{ type: 'bandwidth', dataDir, capabilities: { bandwidth: true } }] }])

    // warm-up: the bridge exists from here on; the baseline is the node without any pod
    const warm = await createPod(t, topo, 'bwwarm')
    t.equal((await cnirun(topo, 'add', bridgeOnly, warm, { containerId: 'warm' })).exitCode, 0, 'warm-up add')
    t.equal((await cnirun(topo, 'del', bridgeOnly, warm, { containerId: 'warm' })).exitCode, 0, 'warm-up del')
    const baseline = { links: (JSON.parse((await runOk(topo.node, 'ip', ['-j', 'link', 'show'])).stdout) as any[]).map((l) => l.ifname).sort(), tc: await nodeTc(topo.node) }
    const clean = async (t: Test, label: string) => {
      const links = (JSON.parse((await runOk(topo.node, 'ip', ['-j', 'link', 'show'])).stdout) as any[]).map((l) => l.ifname).sort()
      t.same({ links, tc: await nodeTc(topo.node) }, baseline, `${label}: the node is as before (no veth, no ifb, no qdisc)`)
      t.same(await readdir(dataDir).catch(() => []), [], `${label}: no record left`)
    }
    const podIpOf = (result: any): string => String(result.ips[0].address).split('/')[0] as string

    await t.test('20 Mbit/s into the pod and out of it, CHECK, DEL leaves nothing', async (t) => {
      const pod = await createPod(t, topo, 'bwa')
      const add = await cnirun(topo, 'add', staticList, pod, { containerId: 'a' })
      t.equal(add.exitCode, 0, `add: ${add.stderr}${add.stdout}`)
      const veth = await hostVethOf(topo, pod)
      const ifb = add.json.interfaces.at(-1).name as string
      t.match(ifb, /^bwp[0-9a-f]{12}$/, 'the ifb is the last interface of the result')
      t.match(await qdiscs(topo.node, veth), [{ kind: 'tbf', handle: 'bd00:', root: true, options: { rate: 2_500_000 } }, { kind: 'clsact' }])
      t.match(await qdiscs(topo.node, ifb), [{ kind: 'tbf', handle: 'bd00:', options: { rate: 2_500_000 } }])
      t.match((await filters(topo.node, veth)).at(-1), { pref: PREF, options: { actions: [{ kind: 'mirred', to_dev: ifb }] } })
      const check = await cnirun(topo, 'check', staticList, pod, { containerId: 'a' })
      t.equal(check.exitCode, 0, `check: ${check.stderr}${check.stdout}`)
      await measure(t, topo, pod, podIpOf(add.json), false, 20e6, 0.9, 1.05)
      await measure(t, topo, pod, podIpOf(add.json), true, 20e6, 0.9, 1.05)
      const del = await cnirun(topo, 'del', staticList, pod, { containerId: 'a' })
      t.equal(del.exitCode, 0, `del: ${del.stderr}`)
      await clean(t, 'full DEL')
    })

    await t.test("the binary's own DEL leaves nothing on the live veth; ADD again works", async (t) => {
      const pod = await createPod(t, topo, 'bwb')
      const add = await cnirun(topo, 'add', staticList, pod, { containerId: 'b' })
      t.equal(add.exitCode, 0, `add: ${add.stderr}${add.stdout}`)
      const veth = await hostVethOf(topo, pod)
      const env = { CNI_CONTAINERID: 'b', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' }
      const conf = { cniVersion: '1.0.0', name: 'bwnet', type: 'bandwidth', dataDir, ...bw20 }
      const del = await runPlugin(topo, 'bandwidth', { ...env, CNI_COMMAND: 'DEL' }, conf)
      t.equal(del.exitCode, 0, `bandwidth DEL: ${del.stdout}`)
      t.same((await qdiscs(topo.node, veth)).map((q) => q.kind), ['noqueue'], 'no tbf, no clsact on the veth')
      t.same(await filters(topo.node, veth), [], 'no filter')
      t.same(await ifbs(topo.node), [], 'no ifb')
      const again = await runPlugin(topo, 'bandwidth', { ...env, CNI_COMMAND: 'ADD' }, { ...conf, prevResult: add.json })
      t.equal(again.exitCode, 0, `ADD again on the same veth: ${again.stdout}`)
      t.match(await qdiscs(topo.node, veth), [{ kind: 'tbf' }, { kind: 'clsact' }])
      t.equal((await cnirun(topo, 'del', staticList, pod, { containerId: 'b' })).exitCode, 0)
      await clean(t, 'direct DEL, ADD, full DEL')
    })

    await t.test('a foreign clsact filter on the host veth is shared, then left working', async (t) => {
      const pod = await createPod(t, topo, 'bwc')
      const add = await cnirun(topo, 'add', bridgeOnly, pod, { containerId: 'c' })
      t.equal(add.exitCode, 0, `bridge add: ${add.stderr}`)
      const veth = await hostVethOf(topo, pod)
      const gw = '10.253.0.1'
      await startTcpEcho(t, topo.node, 16000)
      await startTcpEcho(t, topo.node, 16001)
      // someone else's filter: TCP from the pod to port 16001 is redirected into a veth whose peer
      // is down, i.e. dropped (this kernel has mirred but not gact's `action drop`)
      await runOk(topo.node, 'ip', ['link', 'add', 'cc-sink0', 'type', 'veth', 'peer', 'name', 'cc-sink1'])
      await runOk(topo.node, 'ip', ['link', 'set', 'cc-sink0', 'up'])
      await runOk(topo.node, 'tc', ['qdisc', 'add', 'dev', veth, 'clsact'])
      await runOk(topo.node, 'tc', ['filter', 'add', 'dev', veth, 'ingress', 'pref', '10', 'protocol', 'ip', 'u32',
        'match', 'ip', 'protocol', '6', '0xff', 'match', 'ip', 'dport', '16001', '0xffff', 'action', 'mirred', 'egress', 'redirect', 'dev', 'cc-sink0'])
      const works = async (label: string) => {
        t.ok(await tcpRoundTrip(pod, gw, 16000, 3000), `${label}: other traffic passes`)
        t.notOk(await tcpRoundTrip(pod, gw, 16001, 1500), `${label}: the foreign filter drops port 16001`)
      }
      await works('before ADD')
      const env = { CNI_CONTAINERID: 'c', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' }
      const conf = { cniVersion: '1.0.0', name: 'bwnet', type: 'bandwidth', dataDir, ...bw20 }
      const bwAdd = await runPlugin(topo, 'bandwidth', { ...env, CNI_COMMAND: 'ADD' }, { ...conf, prevResult: add.json })
      t.equal(bwAdd.exitCode, 0, `bandwidth ADD: ${bwAdd.stdout}`)
      t.same((await filters(topo.node, veth)).map((f) => f.pref), [10, 10, 10, PREF, PREF, PREF], 'both filters, ours after')
      await works('while shaping')
      const del = await runPlugin(topo, 'bandwidth', { ...env, CNI_COMMAND: 'DEL' }, conf)
      t.equal(del.exitCode, 0, `bandwidth DEL: ${del.stdout}`)
      t.same((await qdiscs(topo.node, veth)).map((q) => q.kind), ['noqueue', 'clsact'], 'clsact (not ours) stays, tbf gone')
      t.same((await filters(topo.node, veth)).map((f) => f.pref), [10, 10, 10], 'only the foreign filter')
      t.same(await ifbs(topo.node), [], 'no ifb')
      await works('after DEL')
      t.equal((await cnirun(topo, 'del', bridgeOnly, pod, { containerId: 'c' })).exitCode, 0)
      await runOk(topo.node, 'ip', ['link', 'del', 'cc-sink0'])
      await clean(t, 'foreign filter')
    })

    await t.test('cni-chain add --annotation: tbfs of 10 and 20 Mbit', async (t) => {
      const pod = await createPod(t, topo, 'bwd')
      const cli = (args: string[]) => run(topo.node, CLI, [...args, '--cache-dir', topo.cacheDir, '--bin-dir', topo.cniPath], { timeoutMs: 60_000 })
      const add = await cli(['add', capsList, pod.path, '--container-id', 'd',
        '--annotation', 'kubernetes.io/ingress-bandwidth=10M', '--annotation', 'kubernetes.io/egress-bandwidth=20M'])
      t.equal(add.exitCode, 0, `cni-chain add: ${add.stderr}${add.stdout}`)
      const veth = await hostVethOf(topo, pod)
      const ifb = JSON.parse(add.stdout).interfaces.at(-1).name as string
      t.match(await qdiscs(topo.node, veth), [{ kind: 'tbf', options: { rate: 1_250_000 } }], 'into the pod: 10 Mbit')
      t.match(await qdiscs(topo.node, ifb), [{ kind: 'tbf', options: { rate: 2_500_000 } }], 'out of the pod: 20 Mbit')
      const pod2 = await createPod(t, topo, 'bwd2')
      const bad = await cli(['add', capsList, pod2.path, '--container-id', 'd2', '--annotation', 'kubernetes.io/ingress-bandwidth=10Q'])
      t.not(bad.exitCode, 0, 'an invalid annotation is refused')
      t.match(bad.stdout + bad.stderr, /kubernetes.io\/ingress-bandwidth/, '...naming it')
      const malformed = await cli(['add', capsList, pod2.path, '--container-id', 'd3', '--annotation', 'kubernetes.io/ingress-bandwidth'])
      t.not(malformed.exitCode, 0, 'an --annotation without = is refused')
      t.match(malformed.stdout + malformed.stderr, /must be KEY=VALUE/)
      t.equal((await cli(['del', capsList, pod.path, '--container-id', 'd'])).exitCode, 0)
      t.equal((await cli(['del', capsList, pod2.path, '--container-id', 'd2'])).exitCode, 0, 'DEL of the refused attachment')
      await clean(t, 'cni-chain add --annotation')
    })

    await t.test("containerd's runtimeConfig (PascalCase, burst 4294967295) really shapes", async (t) => {
      const pod = await createPod(t, topo, 'bwe')
      const capArgs = { bandwidth: { IngressRate: 10_000_000, IngressBurst: 4294967295, EgressRate: 20_000_000, EgressBurst: 4294967295 } }
      const add = await cnirun(topo, 'add', capsList, pod, { containerId: 'e', capArgs })
      t.equal(add.exitCode, 0, `add: ${add.stderr}${add.stdout}`)
      const veth = await hostVethOf(topo, pod)
      t.match(await qdiscs(topo.node, veth), [{ kind: 'tbf', options: { rate: 1_250_000, burst: 12_500 } }], 'the default burst, not 4294967295 bits')
      await measure(t, topo, pod, podIpOf(add.json), false, 10e6, 0.85, 1.15)
      await measure(t, topo, pod, podIpOf(add.json), true, 20e6, 0.85, 1.15)
      t.equal((await cnirun(topo, 'check', capsList, pod, { containerId: 'e', capArgs })).exitCode, 0, 'CHECK')
      t.equal((await cnirun(topo, 'del', capsList, pod, { containerId: 'e', capArgs })).exitCode, 0)
      await clean(t, 'containerd runtimeConfig')
    })

    await t.test('inside the chain plugin under libcni', async (t) => {
      const pod = await createPod(t, topo, 'bwf')
      const capArgs = { bandwidth: { ingressRate: 5_000_000, ingressBurst: 100_000, egressRate: 6_000_000, egressBurst: 100_000 } }
      const add = await cnirun(topo, 'add', chainList, pod, { containerId: 'f', capArgs })
      t.equal(add.exitCode, 0, `add: ${add.stderr}${add.stdout}`)
      const veth = await hostVethOf(topo, pod)
      t.match(await qdiscs(topo.node, veth), [{ kind: 'tbf', options: { rate: 625_000 } }, { kind: 'clsact' }])
      t.equal((await cnirun(topo, 'check', chainList, pod, { containerId: 'f', capArgs })).exitCode, 0, 'CHECK')
      t.equal((await cnirun(topo, 'del', chainList, pod, { containerId: 'f', capArgs })).exitCode, 0)
      await clean(t, 'chain plugin')
    })
  })
}
