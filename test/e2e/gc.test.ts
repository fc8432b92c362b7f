// GC: `cni-chain gc NETWORK --valid ID/IFNAME ...` removes every object of every attachment of the
// network that is not listed, and leaves the listed ones (and other networks) working.
//
// Pods are added through libcni (cnirun) with bridge + host-local + the four meta plugins (a
// published TCP and UDP port, shaping both ways). Network gcnet: A and C stay valid; B and D go
// stale the way GC finds them: their containers are gone (netns deleted, which takes their veth),
// and D's libcni cache file is lost too, so only the plugins' own GC can find D's objects.
// Network gcother: Y is not listed but is of another network, so it must stay.
// GC runs at spec 1.1.0 on the network's meta plugins (gcnet-gc.conflist): Debian's bridge and
// host-local 1.1.1 know no 1.1.0, so their part (host-local's allocation) is not GC's to check
// here; the IPAM dir is left out of the comparison.
// Expected: the node, pods A, C, Y and the files (state dirs, libcni cache) exactly as they were
// with only A, C and Y (read before B and D were added): no nft object, qdisc, ifb, tuning record,
// state or cache file of B or D. A, C and Y still answer on their published ports, their shaping
// is in place and libcni CHECK passes. A second GC changes nothing.
import { existsSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { cnirun, createPod, createTopology, deleteNetns, e2eSkip, repoRoot, run, runOk, startTcpEcho, startUdpEcho, tcpRoundTrip, udpRoundTrip, writeConf, type Netns, type Topology } from './lib/harness.js'
import { metaCapArgs, metaDirs, metaPlugins, withoutIpamBookkeeping, writeMetaNet } from './lib/meta-net.js'
import { diffState, hostState, settle } from './lib/node-state.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')

/** the node-side peer of the pod's eth0 */
const hostVethOf = async (topo: Topology, pod: Netns): Promise<string> => {
  const eth0 = JSON.parse((await runOk(pod, 'ip', ['-j', 'link', 'show', 'dev', 'eth0'])).stdout)[0]
  const links = JSON.parse((await runOk(topo.node, 'ip', ['-j', 'link', 'show'])).stdout) as any[]
  const peer = links.find((l) => l.ifindex === eth0.link_index)
  if (!peer) throw new Error(`no veth peer of eth0 in ${pod.name}`)
  return String(peer.ifname)
}

const gc = (topo: Topology, list: string, valid: string[]) =>
  run(topo.node, process.execPath, [CLI, 'gc', list, '--cache-dir', topo.cacheDir, '--bin-dir', topo.cniPath, ...valid.flatMap((v) => ['--valid', v])])

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI) || ['tuning', 'portmap', 'bandwidth', 'firewall'].some((b) => !existsSync(join(repoRoot, 'bin', b)))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  for (const chain of [false, true]) {
    t.test(`cni-chain gc removes everything of the attachments not listed and keeps the listed ones working${chain ? ' (the chain plugin)' : ''}`, async (t) => {
      const topo = await createTopology(t)
      const dirs = metaDirs(topo)
      const gcnet = await writeMetaNet(topo, dirs, { name: 'gcnet', subnet: '10.242.0.0/24', bridge: 'cc-gc0', chain })
      const other = await writeMetaNet(topo, dirs, { name: 'gcother', subnet: '10.242.1.0/24', bridge: 'cc-gc1', chain })
      const metas = chain ? [{ type: 'chain', capabilities: { portMappings: true, bandwidth: true }, plugins: metaPlugins(dirs) }] : metaPlugins(dirs)
      const gcList = await writeConf(topo, 'gcnet-gc.conflist', { cniVersion: '1.1.0', name: 'gcnet', plugins: metas })
      const read = async (pods: Netns[]) => withoutIpamBookkeeping(await hostState([topo.node, ...pods], [dirs.root, topo.cacheDir]))

      // warm-up on both networks: bridges, nft tables, firewall's static rules stay from here on
      for (const list of [gcnet, other]) {
        const warm = await createPod(t, topo, 'gcwarm')
        t.equal((await cnirun(topo, 'add', list, warm, { containerId: 'warm', capArgs: metaCapArgs(32999) })).exitCode, 0, 'warm-up ADD')
        await settle([topo.node, warm])
        t.equal((await cnirun(topo, 'del', list, warm, { containerId: 'warm', capArgs: metaCapArgs(32999) })).exitCode, 0, 'warm-up DEL')
      }

      const pods: Record<string, Netns> = {}
      const add = async (t: Test, name: string, list: string, port: number) => {
        pods[name] = await createPod(t, topo, `gc${name.toLowerCase()}`)
        const r = await cnirun(topo, 'add', list, pods[name] as Netns, { containerId: `gc-${name}`, capArgs: metaCapArgs(port) })
        t.equal(r.exitCode, 0, `ADD ${name}${r.exitCode === 0 ? '' : `: ${r.stdout}${r.stderr}`}`)
      }
      const kept = [['A', gcnet, 32001], ['C', gcnet, 32003], ['Y', other, 32009]] as const
      for (const [name, list, port] of kept) {
        await add(t, name, list, port)
        await startTcpEcho(t, pods[name] as Netns, 80)
        await startUdpEcho(t, pods[name] as Netns, 80)
      }
      const keptPods = kept.map(([name]) => pods[name] as Netns)
      await settle([topo.node, ...keptPods])
      const expected = await read(keptPods)

      await add(t, 'B', gcnet, 32002)
      await add(t, 'D', gcnet, 32004)
      const cacheFiles = await readdir(join(topo.cacheDir, 'results'))
      const dCache = cacheFiles.filter((f) => f.includes('gc-D'))
      t.equal(dCache.length, 1, 'D has a cache file (removed now: only the plugins can find D)')
      for (const f of dCache) await rm(join(topo.cacheDir, 'results', f))
      // the containers are gone: their namespaces (and so their veths) with them
      await deleteNetns((pods.B as Netns).name)
      await deleteNetns((pods.D as Netns).name)
      const before = await read(keptPods)
      t.ok(diffState(expected, before).some((l) => /ifb|bwp/.test(l)), 'B and D left objects before GC (their ifbs at least)')

      const r = await gc(topo, gcList, ['gc-A/eth0', 'gc-C/eth0'])
      t.equal(r.exitCode, 0, `cni-chain gc${r.exitCode === 0 ? '' : `: ${r.stdout}${r.stderr}`}`)
      const diff = diffState(expected, await read(keptPods))
      for (const d of diff.slice(0, 60)) t.comment(d)
      t.same(diff, [], 'everything of B and D is gone (nft objects, ifbs, qdiscs, tuning records, state and cache files); A, C and Y are untouched')

      for (const [name, list, port] of kept) {
        const pod = pods[name] as Netns
        t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, port), `${name}: the published TCP port still answers`)
        t.ok(await udpRoundTrip(topo.client, topo.nodeClientIp, port), `${name}: the published UDP port still answers`)
        const veth = await hostVethOf(topo, pod)
        const qdiscs = JSON.parse((await runOk(topo.node, 'tc', ['-j', 'qdisc', 'show', 'dev', veth])).stdout) as any[]
        t.ok(qdiscs.some((q) => q.kind === 'tbf') && qdiscs.some((q) => q.kind === 'clsact'), `${name}: shaping still in place on ${veth}`)
        const check = await cnirun(topo, 'check', list, pod, { containerId: `gc-${name}`, capArgs: metaCapArgs(port) })
        t.equal(check.exitCode, 0, `${name}: libcni CHECK${check.exitCode === 0 ? '' : `: ${check.stdout}${check.stderr}`}`)
      }

      const again = await gc(topo, gcList, ['gc-A/eth0', 'gc-C/eth0'])
      t.equal(again.exitCode, 0, `a second gc${again.exitCode === 0 ? '' : `: ${again.stdout}${again.stderr}`}`)
      t.same(diffState(expected, await read(keptPods)), [], 'a second gc changes nothing')

      for (const [name, list, port] of kept) {
        const d = await cnirun(topo, 'del', list, pods[name] as Netns, { containerId: `gc-${name}`, capArgs: metaCapArgs(port) })
        t.equal(d.exitCode, 0, `DEL ${name}`)
      }
    })
  }
}
