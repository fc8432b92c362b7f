// `cni-chain add|check|del --dry-run` on a real node (root, this test's own node and pod namespaces):
// it changes nothing — the node's and the pod's ruleset, links, addresses, routes, qdiscs and
// sysctls, the plugins' state files and the result cache are compared before and after — and the
// plans it prints are the plans a fixture records for the same case (the fixture engine runs on the
// semantic fake seeded with what this node holds).
//  1. the real Debian bridge (+ host-local) wires the pod; its result is the --prev-result;
//  2. `add --dry-run --prev-result` of bridge + tuning + bandwidth + portmap: nothing changes;
//  3. the same plans come out of the fixture engine;
//  4. a real ADD of the whole list, then `check --dry-run` and `del --dry-run` (real cache, real
//     host reads, no --prev-result): nothing changes; then the real DEL.
// The CLI is bundled from today's sources (not bin/), so the test needs no build.
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { runFixture } from '../../chain/fixtures/engine.js'
import type { Fixture, RecordedPlan } from '../../chain/fixtures/types.js'
import { fixtureWorld } from '../../chain/fixtures/world.js'
import {
  createPod, createTopology, e2eSkip, linkJson, nftRuleset, readSysctl, repoRoot, run, runOk, sleep, snapshot, writeConf,
  type Netns, type Topology,
} from './lib/harness.js'

const BUNDLE = join(t.testdirName, 'cni-chain.mjs')

// IPv6 link-local addresses (and their local routes) are the kernel's own, added on its timer once
// a link has carrier and DAD is done, seconds after the link came up: no plugin makes them
const kernelLinkLocal = (line: string): boolean => /\bfe80:/.test(line)

/** Everything a dry run must leave as it is, in one namespace. */
const nsState = async (ns: Netns) => {
  const net = await snapshot(ns)
  return {
    ruleset: await nftRuleset(ns),
    net: { links: net.links, addrs: net.addrs.filter((l) => !kernelLinkLocal(l)), routes: net.routes.filter((l) => !kernelLinkLocal(l)) },
    linksDetail: (JSON.parse((await runOk(ns, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as Record<string, unknown>[])
      .map(({ ifname, mtu, address, flags, txqlen, promiscuity, allmulti }) => ({ ifname, mtu, address, flags, txqlen, promiscuity, allmulti })),
    qdiscs: (await runOk(ns, 'tc', ['-j', 'qdisc', 'show'])).stdout,
    // grep -r reads every file; -s: a few (stable_secret) refuse to be read
    sysctls: (await run(ns, 'grep', ['-rs', '.', '/proc/sys/net/ipv4/conf', '/proc/sys/net/ipv6/conf', '/proc/sys/net/core/somaxconn', '/proc/sys/net/ipv4/ip_forward'])).stdout,
  }
}

const listTree = async (dir: string): Promise<string[]> => {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out.push(`${p} ${await readFile(p, 'utf8').catch(() => '?')}`)
    }
  }
  await walk(dir)
  return out.sort()
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  await build({
    entryPoints: [join(repoRoot, 'chain/cli/main.ts')], outfile: BUNDLE, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  })

  t.test('--dry-run changes nothing on a real node and prints the plans a fixture records', async (t) => {
    const topo: Topology = await createTopology(t)
    const pod = await createPod(t, topo, 'dry')
    const state = join(topo.dir, 'state')
    await mkdir(state)
    /** the CLI from today's sources, in the node namespace, Debian's plugins on CNI_PATH */
    const cni = (args: string[]) => run(topo.node, process.execPath, [BUNDLE, ...args], { timeoutMs: 60_000, env: { CNI_PATH: '/usr/lib/cni' } })
    const bridge = {
      type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.251.0.0/24' }]], dataDir: join(topo.dir, 'ipam') },
    }
    const metas = [
      { type: 'tuning', mtu: 1400, sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1' }, dataDir: join(state, 'tuning') },
      { type: 'bandwidth', ingressRate: 10_000_000, ingressBurst: 1_000_000, egressRate: 5_000_000, egressBurst: 500_000, dataDir: join(state, 'bandwidth') },
      { type: 'portmap', capabilities: { portMappings: true }, stateDir: join(state, 'portmap') },
    ]
    const bridgeOnly = await writeConf(topo, 'bridge.conflist', { cniVersion: '1.0.0', name: 'dry-net', plugins: [bridge] })
    const full = await writeConf(topo, 'full.conflist', { cniVersion: '1.0.0', name: 'dry-net', plugins: [bridge, ...metas] })
    const capArgs = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }
    const common = ['--container-id', 'dry1', '--cache-dir', topo.cacheDir, '--cap-args', JSON.stringify(capArgs)]

    // 1. the pod's interface, made by the real bridge plugin
    t.teardown(() => cni(['del', full, pod.path, ...common]))
    const wired = await cni(['add', bridgeOnly, pod.path, ...common])
    t.equal(wired.exitCode, 0, `bridge add: ${wired.stderr}`)
    const prevResult = JSON.parse(wired.stdout) as Record<string, unknown>
    const prevFile = await writeConf(topo, 'prev-result.json', prevResult)

    const snap = async () => ({ node: await nsState(topo.node), pod: await nsState(pod), files: await listTree(state), cache: await listTree(topo.cacheDir) })
    // the kernel keeps changing new links by itself for a while (IPv6 link-local addresses after
    // DAD, carrier): take a picture once two in a row agree (at most 50 tries, 200 ms apart)
    const everything = async () => {
      let last = JSON.stringify(await snap())
      for (let i = 0; i < 50; i++) {
        await sleep(200)
        const now = JSON.stringify(await snap())
        if (now === last) return JSON.parse(now) as unknown
        last = now
      }
      throw new Error('the namespaces did not settle within 10 s')
    }
    const before = await everything()

    // 2. ADD --dry-run: plans printed, nothing changed
    const dry = await cni(['add', full, pod.path, ...common, '--dry-run', '--prev-result', prevFile])
    t.equal(dry.exitCode, 0, `add --dry-run: ${dry.stderr}`)
    const report = JSON.parse(dry.stdout) as { plans: RecordedPlan[]; result: unknown; notes: string[] }
    t.same(report.plans.map((p) => `${p.plugin} ${p.verb}`), ['tuning ADD', 'bandwidth ADD', 'portmap ADD'])
    t.ok(report.plans.every((p) => p.steps.length > 0), 'every plugin planned something')
    t.same(await everything(), before, 'ADD --dry-run changed nothing')

    // 3. the same case as a fixture, on the fake seeded with this node's links (same ifindexes),
    // route and the sysctls the plugins read
    const hostVeth = (prevResult.interfaces as { name: string; sandbox?: string }[]).find((i, n, all) => !i.sandbox && all[n + 1]?.sandbox)?.name as string
    const real = async (ns: Netns, name: string) => {
      const l = await linkJson(ns, name)
      return { name, ifindex: l.ifindex, mtu: l.mtu, address: l.address, txqlen: l.txqlen ?? 0, promisc: l.promiscuity > 0, allmulti: l.allmulti > 0 }
    }
    const fixture: Fixture = {
      description: 'the e2e node, as a fixture',
      conflist: JSON.parse(await readFile(full, 'utf8')),
      runtime: { containerId: 'dry1', netns: pod.path, ifname: 'eth0', capabilityArgs: capArgs },
      delegates: { bridge: { result: prevResult as never } },
      host: {
        derive: false,
        namespaces: {
          '': {
            links: [{ ...(await real(topo.node, 'cni0')), kind: 'bridge' }, { ...(await real(topo.node, hostVeth)), peer: { ns: pod.path, ...(await real(pod, 'eth0')) } }],
            routes: [{ dst: '10.251.0.0/24', dev: 'cni0' }],
            sysctls: { 'net/ipv4/conf/cni0/route_localnet': (await readSysctl(topo.node, 'net/ipv4/conf/cni0/route_localnet')) as string },
          },
          [pod.path]: { sysctls: { 'net/ipv4/conf/eth0/arp_filter': (await readSysctl(pod, 'net/ipv4/conf/eth0/arp_filter')) as string } },
        },
      },
      steps: [{ verb: 'ADD', expect: {} }],
    }
    const run1 = await runFixture({ path: join(topo.dir, 'twin.json'), fixture }, fixtureWorld)
    t.equal(run1.steps[0]?.error, undefined, 'the fixture twin runs')
    t.same(report.plans, run1.steps[0]?.plans, 'the dry run printed the plans the fixture records')
    t.same(report.result, run1.steps[0]?.result, 'and the same result')

    // 4. the real ADD (after the bridge-only attachment is gone); then CHECK and DEL as dry runs
    // (real cache, real reads): nothing changes
    const unwired = await cni(['del', bridgeOnly, pod.path, ...common])
    t.equal(unwired.exitCode, 0, `bridge del: ${unwired.stderr}`)
    const added = await cni(['add', full, pod.path, ...common])
    t.equal(added.exitCode, 0, `real add: ${added.stderr}`)
    const live = await everything()
    t.notSame(live, before, 'the real ADD did change the node')
    const check = await cni(['check', full, pod.path, ...common, '--dry-run'])
    t.equal(check.exitCode, 0, `check --dry-run: ${check.stderr}`)
    t.same(JSON.parse(check.stdout).plans, [], 'CHECK plans nothing')
    const del = await cni(['del', full, pod.path, ...common, '--dry-run'])
    t.equal(del.exitCode, 0, `del --dry-run: ${del.stderr}`)
    const delReport = JSON.parse(del.stdout) as { plans: RecordedPlan[]; notes: string[] }
    t.same(delReport.plans.map((p) => `${p.plugin} ${p.verb}`), ['portmap DEL', 'bandwidth DEL', 'tuning DEL'])
    t.ok(delReport.notes.some((n) => /"bridge" \(external\): DEL not run/.test(n)), 'the external plugin was not run')
    t.ok(delReport.notes.some((n) => /cache: would remove/.test(n)), 'the cache would be removed, and is not')
    t.same(await everything(), live, 'CHECK and DEL --dry-run changed nothing')

    // without --prev-result, an ADD that needs the bridge plugin is refused before anything runs
    const refused = await cni(['add', full, pod.path, '--container-id', 'dry2', '--cache-dir', topo.cacheDir, '--dry-run'])
    t.equal(refused.exitCode, 1)
    t.match(refused.stderr, /cannot run external plugin "bridge".*\(CNI error code 4\)/)
    t.same(await everything(), live, 'the refused dry run changed nothing')

    const gone = await cni(['del', full, pod.path, ...common])
    t.equal(gone.exitCode, 0, `real del: ${gone.stderr}`)
  })
}
