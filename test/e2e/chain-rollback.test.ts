// A failed ADD through the `chain` plugin leaves the host exactly as before, like a failed
// standalone ADD. Pod A holds host port 18080 (bridge + chain{tuning, portmap} under libcni).
// Pod B gets its interface from Debian's bridge (run directly), then bin/chain ADD with tuning
// (MTU 1400, txqueuelen, two sysctls) and portmap asking for the same port: tuning applies first,
// portmap's transaction conflicts, and everything is rolled back before the error (code 100,
// naming pod A) is printed. Links, sysctls (node and pod), the node's ruleset and the plugins'
// state dirs are read before and after and must be equal; an `ip monitor` in pod B proves
// tuning's MTU change did happen (and was undone). The same through libcni for pod C; pod A's
// port still answers at the end.
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import t, { type Test } from 'tap'
import {
  bridgeConflist, childEnv, cnirun, createPod, createTopology, e2eSkip, linkJson, nftRuleset, readSysctl, repoRoot, run,
  runPlugin, sleep, startTcpEcho, tcpRoundTrip, writeConf, type Netns, type Topology,
} from './lib/harness.js'
import { inNetns } from './lib/proc.js'

const PORT = 18080
const SUBNET = '10.253.0.0/24'
const POD_SYSCTLS = { 'net.ipv4.conf.eth0.arp_filter': '1', 'net.ipv4.conf.eth0.accept_local': '1' }

/** The link attributes a plugin may change, per link (volatile counters and carrier state left out). */
const links = async (ns: Netns): Promise<Record<string, unknown>> => {
  const r = await run(ns, 'ip', ['-j', '-d', 'link', 'show'])
  const all = JSON.parse(r.stdout) as any[]
  return Object.fromEntries(all.map((l) => [l.ifname, {
    mtu: l.mtu, address: l.address, txqlen: l.txqlen, promiscuity: l.promiscuity, allmulti: l.allmulti, master: l.master,
    flags: (l.flags as string[]).filter((f) => f !== 'LOWER_UP' && f !== 'NO-CARRIER').sort(),
  }]))
}

/** Every IPv4/IPv6 per-interface sysctl in ns, plus the netns-wide ones tuning may touch. */
const sysctls = async (ns: Netns): Promise<string[]> => {
  const r = await run(ns, 'sysctl', ['-a', '-r', '^net\\.(ipv4\\.conf|ipv6\\.conf|core\\.somaxconn|ipv4\\.ip_forward)'])
  // stable_secret is unreadable until set (an error on stderr): not in stdout either time
  return r.stdout.split('\n').filter((l) => l !== '').sort()
}

/** Every file under dir (relative path → content); {} when dir does not exist. */
const files = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {}
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      const p = join(d, name)
      if ((await stat(p)).isDirectory()) await walk(p, join(rel, name))
      else out[join(rel, name)] = await readFile(p, 'utf8')
    }
  }
  await walk(dir, '')
  return out
}

interface HostState { nodeRuleset: string; nodeLinks: unknown; nodeSysctls: string[]; podLinks: unknown; podSysctls: string[]; state: unknown }

const hostState = async (topo: Topology, pod: Netns, dirs: string[]): Promise<HostState> => ({
  nodeRuleset: await nftRuleset(topo.node),
  nodeLinks: await links(topo.node),
  nodeSysctls: await sysctls(topo.node),
  podLinks: await links(pod),
  podSysctls: await sysctls(pod),
  state: Object.fromEntries(await Promise.all(dirs.map(async (d) => [d, await files(d)]))),
})

/**
 * watchLinks runs `ip -o monitor link` in ns until stopped (at most 120 s) and returns the lines it
 * printed about eth0. It is ready once it reported a probe event (lo's MTU changed and put back,
 * before the caller's first snapshot), so nothing after it is missed.
 */
const watchLinks = async (t: Test, ns: Netns): Promise<() => Promise<string[]>> => {
  const [file, args] = inNetns(ns, 'ip', ['-o', 'monitor', 'link'])
  const child = execa(file, args, { reject: false, env: childEnv(), extendEnv: false, stdin: 'ignore', timeout: 120_000 })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()))
  t.teardown(() => void child.kill('SIGKILL'))
  const deadline = Date.now() + 10_000
  for (let i = 0; i < 100 && Date.now() < deadline && !/lo: .* mtu 65535/.test(out); i++) {
    await run(ns, 'ip', ['link', 'set', 'lo', 'mtu', i % 2 === 0 ? '65535' : '65536'])
    await sleep(100)
  }
  await run(ns, 'ip', ['link', 'set', 'lo', 'mtu', '65536'])
  if (!/lo: .* mtu 65535/.test(out)) throw new Error(`ip monitor in ${ns.name} reported nothing in 10 s`)
  return async () => {
    // the events of a finished command are already queued: give the reader a bounded moment
    for (let i = 0; i < 20 && !/mtu 1400[\s\S]*mtu 1500/.test(out); i++) await sleep(100)
    child.kill('SIGKILL')
    await child
    return out.split('\n').filter((l) => /: eth0[@:]/.test(l))
  }
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('a chain ADD whose portmap conflicts after tuning applied leaves links, sysctls and ruleset as they were', async (t) => {
    const topo = await createTopology(t)
    const dataDir = join(topo.dir, 'tuning')
    const stateDir = join(topo.dir, 'portmap')
    const metas = [
      { type: 'tuning', dataDir, mtu: 1400, txQLen: 4321, sysctl: POD_SYSCTLS },
      { type: 'portmap', capabilities: { portMappings: true }, stateDir },
    ]
    const conflist = bridgeConflist(topo, { name: 'rbnet', subnet: SUBNET, plugins: [{ type: 'chain', capabilities: { portMappings: true }, plugins: metas }] })
    const nested = await writeConf(topo, 'nested.conflist', conflist)
    const portMappings = [{ hostPort: PORT, containerPort: 8080, protocol: 'tcp' }]

    // pod A owns the port
    const podA = await createPod(t, topo, 'rba')
    const a = await cnirun(topo, 'add', nested, podA, { containerId: 'pod-a', capArgs: { portMappings } })
    t.equal(a.exitCode, 0, `pod A add: ${a.stderr}${a.stdout}`)
    t.equal((await linkJson(podA, 'eth0'))?.mtu, 1400, 'the chain tunes a pod that gets its port')

    await t.test('bin/chain directly, after a bridge ADD', async (t) => {
      const podB = await createPod(t, topo, 'rbb')
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'pod-b', CNI_NETNS: podB.path, CNI_IFNAME: 'eth0' }
      const bridge = (conflist as { plugins: object[] }).plugins[0] as object
      const br = await runPlugin(topo, 'bridge', env, { cniVersion: '1.0.0', name: 'rbnet', ...bridge })
      t.equal(br.exitCode, 0, `bridge add: ${br.stderr}${br.stdout}`)
      const dirs = [dataDir, stateDir]
      const stop = await watchLinks(t, podB)
      const before = await hostState(topo, podB, dirs)
      t.equal(before.podSysctls.includes('net.ipv4.conf.eth0.arp_filter = 0'), true, 'arp_filter starts at 0')
      const chain = await runPlugin(topo, join(repoRoot, 'bin', 'chain'), env, {
        cniVersion: '1.0.0', name: 'rbnet', type: 'chain', runtimeConfig: { portMappings }, plugins: metas, prevResult: br.json,
      })
      const events = await stop()

      t.equal(chain.exitCode, 1, `chain add must fail: ${chain.stdout}`)
      t.equal(chain.json?.code, 100, chain.stdout)
      t.match(chain.json?.msg, /^plugin type="portmap" name="rbnet" failed \(add\): .*already/, 'portmap names the conflict')
      t.match(`${chain.json?.msg} ${chain.json?.details}`, /pod-a/, 'and its owner')
      t.notMatch(chain.json?.details ?? '', /rollback incomplete/, 'every undo succeeded')
      t.ok(events.some((l) => /mtu 1400/.test(l)), `tuning had set MTU 1400 before the rollback: ${events.join(' | ')}`)
      t.same(await hostState(topo, podB, dirs), before, 'links, sysctls, ruleset and state files as they were')
    })

    await t.test('through libcni (cnirun): tuning\'s changes and portmap\'s state are rolled back', async (t) => {
      const podC = await createPod(t, topo, 'rbc')
      const ruleset = await nftRuleset(topo.node)
      const state = { tuning: await files(dataDir), portmap: await files(stateDir) }
      const c = await cnirun(topo, 'add', nested, podC, { containerId: 'pod-c', capArgs: { portMappings } })
      t.not(c.exitCode, 0, 'libcni add fails')
      t.match(`${c.stdout}${c.stderr}`, /already/, 'with portmap\'s conflict')
      t.equal(await nftRuleset(topo.node), ruleset, 'node ruleset unchanged')
      t.same({ tuning: await files(dataDir), portmap: await files(stateDir) }, state, 'no record, no portmap state')
      const link = await linkJson(podC, 'eth0')
      t.not(link?.mtu, 1400, 'the bridge\'s veth keeps its MTU')
      t.not(link?.txqlen, 4321)
      for (const key of Object.keys(POD_SYSCTLS)) t.equal(await readSysctl(podC, key), '0', `${key} back to 0`)
      const del = await cnirun(topo, 'del', nested, podC, { containerId: 'pod-c', capArgs: { portMappings } })
      t.equal(del.exitCode, 0, `cleanup del: ${del.stderr}${del.stdout}`)
    })

    await startTcpEcho(t, podA, 8080)
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, PORT, 5000), 'pod A\'s port still answers')
    const delA = await cnirun(topo, 'del', nested, podA, { containerId: 'pod-a', capArgs: { portMappings } })
    t.equal(delA.exitCode, 0, `pod A del: ${delA.stderr}${delA.stdout}`)
  })
}
