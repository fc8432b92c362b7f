// The chain executor and the `chain` plugin against libcni (Debian's, via cnirun) in real
// namespaces: Debian bridge + host-local, then cni-chain's tuning and portmap. ADD by one runtime,
// CHECK and DEL by the other, from the same cache dir; then the same plugins inside one `chain`
// entry driven by libcni. Every round must leave the node as a warm-up round left it (portmap
// keeps its shared skeleton), no veth, no cache file, no tuning record.
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  bridgeConflist, cnirun, createPod, createTopology, e2eSkip, nftRuleset, readSysctl, repoRoot, run,
  snapshot, startTcpEcho, tcpRoundTrip, writeConf, type Netns, type Topology,
} from './lib/harness.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI)) {
  t.plan(0, 'bin/cni-chain is missing: run npm run build first')
} else {
  const cniChain = (topo: Topology, args: string[]) =>
    run(topo.node, CLI, [...args, '--cache-dir', topo.cacheDir, '--bin-dir', topo.cniPath], { timeoutMs: 60_000 })

  const state = async (topo: Topology, dataDir: string) => ({
    ruleset: await nftRuleset(topo.node),
    links: (await snapshot(topo.node)).links,
    cache: await readdir(join(topo.cacheDir, 'results')).catch(() => []),
    tuning: await readdir(dataDir).catch(() => []),
  })

  t.test('cni-chain and libcni share the cache; the chain plugin works under libcni', async (t) => {
    const topo = await createTopology(t)
    const dataDir = join(topo.dir, 'tuning')
    const stateDir = join(topo.dir, 'portmap')
    const metas = [
      { type: 'tuning', dataDir, mtu: 1400, sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1' } },
      { type: 'portmap', capabilities: { portMappings: true }, stateDir },
    ]
    const flat = await writeConf(topo, 'flat.conflist', bridgeConflist(topo, { name: 'chainnet', subnet: '10.252.0.0/24', plugins: metas }))
    const nested = await writeConf(topo, 'nested.conflist', bridgeConflist(topo, {
      name: 'chainnet', subnet: '10.252.0.0/24', plugins: [{ type: 'chain', capabilities: { portMappings: true }, plugins: metas }],
    }))
    const capArgs = (port: number) => ({ portMappings: [{ hostPort: port, containerPort: 8080, protocol: 'tcp' }] })

    // warm-up: the bridge and portmap's shared tables exist from here on
    const warm = await createPod(t, topo, 'chwarm')
    const w = await cnirun(topo, 'add', flat, warm, { containerId: 'warm', capArgs: capArgs(18000) })
    t.equal(w.exitCode, 0, `warm-up add: ${w.stderr}`)
    t.equal((await cnirun(topo, 'del', flat, warm, { containerId: 'warm', capArgs: capArgs(18000) })).exitCode, 0)
    const baseline = await state(topo, dataDir)
    t.same([baseline.cache, baseline.tuning], [[], []], 'warm-up left no cache file and no record')

    /** works checks the pod got tuned and its published port answers from the client. */
    const works = async (t: Test, pod: Netns, port: number, label: string) => {
      t.equal(await readSysctl(pod, 'net/ipv4/conf/eth0/arp_filter'), '1', `${label}: tuning sysctl in the pod`)
      t.equal((await run(pod, 'cat', ['/sys/class/net/eth0/mtu'])).stdout.trim(), '1400', `${label}: tuning mtu`)
      await startTcpEcho(t, pod, 8080)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, port, 5000), `${label}: published port ${port} answers`)
    }
    const clean = async (t: Test, label: string) => t.same(await state(topo, dataDir), baseline, `${label}: nothing left`)

    await t.test('cni-chain add, then libcni check and del', async (t) => {
      const pod = await createPod(t, topo, 'cha')
      const add = await cniChain(topo, ['add', flat, pod.path, '--container-id', 'ca', '--cap-args', JSON.stringify(capArgs(18001))])
      t.equal(add.exitCode, 0, `cni-chain add: ${add.stderr}`)
      t.equal(JSON.parse(add.stdout).cniVersion, '1.0.0')
      t.same((await readdir(join(topo.cacheDir, 'results'))), ['chainnet-ca-eth0'])
      await works(t, pod, 18001, 'cni-chain add')
      const check = await cnirun(topo, 'check', flat, pod, { containerId: 'ca', capArgs: capArgs(18001) })
      t.equal(check.exitCode, 0, `cnirun check: ${check.stderr}${check.stdout}`)
      const del = await cnirun(topo, 'del', flat, pod, { containerId: 'ca', capArgs: capArgs(18001) })
      t.equal(del.exitCode, 0, `cnirun del: ${del.stderr}${del.stdout}`)
      await clean(t, 'cni-chain add + libcni del')
    })

    await t.test('libcni add, then cni-chain check and del', async (t) => {
      const pod = await createPod(t, topo, 'chb')
      const started = performance.now()
      const add = await cnirun(topo, 'add', flat, pod, { containerId: 'cb', capArgs: capArgs(18002) })
      t.comment(`libcni ADD, bridge + tuning + portmap as 3 processes: ${Math.round(performance.now() - started)} ms`)
      t.equal(add.exitCode, 0, `cnirun add: ${add.stderr}${add.stdout}`)
      await works(t, pod, 18002, 'libcni add')
      const check = await cniChain(topo, ['check', flat, pod.path, '--container-id', 'cb'])
      t.equal(check.exitCode, 0, `cni-chain check: ${check.stderr}`)
      const del = await cniChain(topo, ['del', flat, pod.path, '--container-id', 'cb', '--cap-args', JSON.stringify(capArgs(18002))])
      t.equal(del.exitCode, 0, `cni-chain del: ${del.stderr}`)
      await clean(t, 'libcni add + cni-chain del')
      const again = await cniChain(topo, ['del', flat, pod.path, '--container-id', 'cb'])
      t.equal(again.exitCode, 0, `DEL is idempotent: ${again.stderr}`)
    })

    await t.test('the chain plugin (tuning + portmap in one entry) under libcni', async (t) => {
      const pod = await createPod(t, topo, 'chc')
      const started = performance.now()
      const add = await cnirun(topo, 'add', nested, pod, { containerId: 'cc', capArgs: capArgs(18003) })
      t.comment(`libcni ADD, bridge + chain(tuning, portmap) as 2 processes: ${Math.round(performance.now() - started)} ms`)
      t.equal(add.exitCode, 0, `cnirun add: ${add.stderr}${add.stdout}`)
      await works(t, pod, 18003, 'chain plugin')
      const check = await cnirun(topo, 'check', nested, pod, { containerId: 'cc', capArgs: capArgs(18003) })
      t.equal(check.exitCode, 0, `cnirun check: ${check.stderr}${check.stdout}`)
      const del = await cnirun(topo, 'del', nested, pod, { containerId: 'cc', capArgs: capArgs(18003) })
      t.equal(del.exitCode, 0, `cnirun del: ${del.stderr}${del.stdout}`)
      await clean(t, 'chain plugin')
    })
  })
}
