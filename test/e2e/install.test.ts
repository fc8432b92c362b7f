// `cni-chain install` with the real build (bin/): the binaries answer VERSION from the bin dir with
// an empty environment, Flannel's conflist gains tuning and bandwidth after its own portmap, a
// second run changes nothing, and `--watch` re-appends within 2 s after Flannel's init container
// rewrites the file. Then three simulated nodes, each a node namespace with its own conf dir and
// bin dir and a different primary conflist (Flannel-, k3s- and podman-style stand-ins whose
// interface plugin is Debian's real bridge): one install each, a pod through each node's chain
// (libcni via cnirun, CNI_PATH = the node's bin dir, then /usr/lib/cni) answers on a published
// port, and `uninstall --purge` leaves the node's files and ruleset as they were.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  bridgeConflist, childEnv, cnirun, createPod, createTopology, e2eSkip, nftRuleset, repoRoot, run, sleep,
  startTcpEcho, tcpRoundTrip, type Topology,
} from './lib/harness.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')
const UPSTREAM = join(repoRoot, 'conflists', 'upstream')
const PLUGINS = ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain']

const types = (text: string): string[] => (JSON.parse(text) as { plugins: { type: string }[] }).plugins.map((p) => p.type)

/** every file under dir: relative path → mode, mtime and bytes */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`)
      else out[`${rel}${e.name}`] = `${statSync(p).mode.toString(8)} ${statSync(p).mtimeMs} ${readFileSync(p).toString('base64')}`
    }
  }
  walk(dir, '')
  return out
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI)) {
  t.plan(0, 'bin/cni-chain is missing: run npm run build first')
} else {
  const cniChain = (args: string[], topo?: Topology) => run(topo?.node, CLI, args, { timeoutMs: 120_000 })

  t.test("install on Flannel's conflist: env -i VERSION, the appended chain, idempotence, --watch", async (t) => {
    const dir = t.testdir({ bin: {}, 'net.d': {}, src: {} })
    const bin = join(dir, 'bin')
    const conf = join(dir, 'net.d')
    const file = join(conf, '10-flannel.conflist')
    // what Flannel's init container copies: kube-flannel-cfg's cni-conf.json
    const flannelSource = join(dir, 'src', 'cni-conf.json')
    await copyFile(join(UPSTREAM, 'flannel.conflist'), flannelSource)
    await copyFile(flannelSource, file)
    const args = ['install', '--bin-dir', bin, '--conf-dir', conf, '--append', 'tuning,bandwidth']

    const first = await cniChain(args)
    t.equal(first.exitCode, 0, first.stderr)
    t.same(readdirSync(bin).sort(), ['.cni-chain', ...PLUGINS].sort(), 'the five plugins placed')
    for (const name of PLUGINS) {
      const v = await run(undefined, 'env', ['-i', 'CNI_COMMAND=VERSION', join(bin, name)], { input: '{"cniVersion":"1.0.0"}' })
      t.equal(v.exitCode, 0, `${name}: ${v.stderr}`)
      t.match(JSON.parse(v.stdout || '{}'), { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] },
        `${name} answers VERSION from the bin dir with an empty environment`)
    }
    t.same(types(await readFile(file, 'utf8')), ['flannel', 'portmap', 'tuning', 'bandwidth'])
    t.same(JSON.parse(await readFile(file, 'utf8')).plugins[0], JSON.parse(await readFile(flannelSource, 'utf8')).plugins[0], 'the delegate block intact')

    const before = { bin: snapshot(bin), conf: snapshot(conf) }
    const second = await cniChain(args)
    t.equal(second.exitCode, 0, second.stderr)
    t.equal(second.stdout.trim(), 'nothing to change')
    t.same({ bin: snapshot(bin), conf: snapshot(conf) }, before, 'a second run changes nothing (bytes, modes, mtimes)')

    // the watcher, as the DaemonSet runs it; killed in teardown whatever happens
    const watcher = spawn(CLI, [...args, '--watch', '--interval', '600'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    watcher.stdout.on('data', (d: Buffer) => (output += d.toString()))
    watcher.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve))
    t.teardown(async () => {
      if (watcher.exitCode === null) process.kill(-watcher.pid!, 'SIGKILL')
      await exited
    })
    for (let i = 0; i < 200 && !output.includes('watching'); i++) await sleep(50)
    t.match(output, 'watching', 'the watcher is up')

    // Flannel restarting: its init container runs `cp -f` over the conflist (truncate + write)
    await run(undefined, 'cp', ['-f', flannelSource, file])
    t.same(types(await readFile(file, 'utf8')), ['flannel', 'portmap'], 'the rewrite dropped our plugins')
    const rewritten = performance.now()
    let back = false
    for (let i = 0; i < 40 && performance.now() - rewritten < 2000; i++) {
      await sleep(50)
      try {
        back = types(await readFile(file, 'utf8')).join(',') === 'flannel,portmap,tuning,bandwidth'
      } catch {
        back = false // caught between the truncate and the write
      }
      if (back) break
    }
    t.ok(back, `re-appended within 2 s of the rewrite (${Math.round(performance.now() - rewritten)} ms)`)
    process.kill(-watcher.pid!, 'SIGTERM')
    t.equal(await exited, 0, 'the watcher stops cleanly on SIGTERM')

    const un = await cniChain(['uninstall', '--bin-dir', bin])
    t.equal(un.exitCode, 0, un.stderr)
    t.equal(await readFile(file, 'utf8'), await readFile(flannelSource, 'utf8'), 'uninstall gives Flannel its file back')
    t.same(readdirSync(bin), [], 'and removes every binary')
  })

  interface NodeSpec {
    label: string
    /** the primary conflist's file name and text (a stand-in written in that CNI's style) */
    file: (topo: Topology, state: StateDirs) => { name: string; text: string }
    /** other files in the conf dir that must stay untouched */
    decoys?: Record<string, string>
    install: (state: StateDirs) => string[]
    expected: string[]
  }
  interface StateDirs {
    portmap: string
    tuning: string
    bandwidth: string
  }

  const tuning = (s: StateDirs) => JSON.stringify({ type: 'tuning', mtu: 1400, dataDir: s.tuning })
  const portmap = (s: StateDirs) => ({ type: 'portmap', capabilities: { portMappings: true }, stateDir: s.portmap })

  const NODES: NodeSpec[] = [
    {
      label: 'flannel',
      // 10-flannel.conflist: cbr0, 0.3.1, the interface plugin then portmap, 2-space JSON
      file: (topo, s) => ({
        name: '10-flannel.conflist',
        text: `${JSON.stringify(bridgeConflist(topo, { name: 'cbr0', cniVersion: '0.3.1', subnet: '10.244.1.0/24', plugins: [portmap(s)] }), null, 2)}\n`,
      }),
      decoys: { '20-other.conflist': '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"bridge"}]}\n' },
      // bandwidth declared but the pod asks for no shaping: the chain passes through it unchanged
      install: (s) => ['--plugin', tuning(s), '--plugin', JSON.stringify({ type: 'bandwidth', capabilities: { bandwidth: true }, dataDir: s.bandwidth })],
      expected: ['bridge', 'portmap', 'tuning', 'bandwidth'],
    },
    {
      label: 'k3s',
      // k3s writes "key":"value" without spaces, cniVersion 1.0.0; here without portmap, so it is appended
      file: (topo) => ({
        name: '10-flannel.conflist',
        text: `${JSON.stringify(bridgeConflist(topo, { name: 'cbr0', cniVersion: '1.0.0', subnet: '10.42.0.0/24' }), null, 2).replace(/": /g, '":')}\n`,
      }),
      install: (s) => ['--plugin', JSON.stringify(portmap(s)), '--plugin', tuning(s)],
      expected: ['bridge', 'portmap', 'tuning'],
    },
    {
      label: 'podman',
      // 87-podman-bridge.conflist, 0.4.0, picked by network name past a lexically earlier file
      file: (topo, s) => ({
        name: '87-podman-bridge.conflist',
        text: `${JSON.stringify(bridgeConflist(topo, { name: 'podman', cniVersion: '0.4.0', subnet: '10.88.0.0/24', plugins: [portmap(s)] }), null, 2)}\n`,
      }),
      decoys: { '00-first.conflist': '{"cniVersion":"1.0.0","name":"first","plugins":[{"type":"ptp"}]}\n' },
      install: (s) => ['--network', 'podman', '--plugin', tuning(s)],
      expected: ['bridge', 'portmap', 'tuning'],
    },
  ]

  t.test('three nodes, three primary conflists: one install each, a pod answers on a published port through each', async (t) => {
    for (const [i, spec] of NODES.entries()) {
      await t.test(spec.label, async (t: Test) => {
        const topo = await createTopology(t)
        const bin = join(topo.dir, 'opt-cni-bin')
        const conf = join(topo.dir, 'net.d')
        const state: StateDirs = { portmap: join(topo.dir, 'portmap-state'), tuning: join(topo.dir, 'tuning-state'), bandwidth: join(topo.dir, 'bandwidth-state') }
        await mkdir(bin)
        await mkdir(conf)
        const primary = spec.file(topo, state)
        const path = join(conf, primary.name)
        await writeFile(path, primary.text)
        for (const [name, text] of Object.entries(spec.decoys ?? {})) await writeFile(join(conf, name), text)
        const confBefore = snapshot(conf)
        const rulesetBefore = await nftRuleset(topo.node)

        const inst = await cniChain(['install', '--bin-dir', bin, '--conf-dir', conf, ...spec.install(state)], topo)
        t.equal(inst.exitCode, 0, `install: ${inst.stderr}`)
        t.same(types(await readFile(path, 'utf8')), spec.expected, 'the chain after install')
        for (const [name, text] of Object.entries(spec.decoys ?? {})) t.equal(await readFile(join(conf, name), 'utf8'), text, `${name} untouched`)
        if (spec.label === 'k3s') t.match(await readFile(path, 'utf8'), '"type":"tuning"', "k3s's style kept")
        const show = await cniChain(['conflist', 'show', path, '--bin-dir', `${bin}:/usr/lib/cni`])
        t.match(show.stdout, new RegExp(`portmap +portMappings +${bin}/portmap \\(cni-chain\\)`), `show: ${show.stdout}`)
        t.match(show.stdout, new RegExp(`bridge +- +/usr/lib/cni/bridge\\n`))

        const node: Topology = { ...topo, cniPath: `${bin}:/usr/lib/cni` }
        const pod = await createPod(t, topo, `inst${i}`)
        const hostPort = 18100 + i
        const capArgs = { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] }
        const add = await cnirun(node, 'add', path, pod, { containerId: `inst-${spec.label}`, capArgs })
        t.equal(add.exitCode, 0, `ADD through the installed chain: ${add.stderr}${add.stdout}`)
        t.equal((await run(pod, 'cat', ['/sys/class/net/eth0/mtu'])).stdout.trim(), '1400', 'the appended tuning ran')
        await startTcpEcho(t, pod, 80)
        t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, hostPort, 5000), `${spec.label}: node:${hostPort} answers from the pod`)
        const del = await cnirun(node, 'del', path, pod, { containerId: `inst-${spec.label}`, capArgs })
        t.equal(del.exitCode, 0, `DEL: ${del.stderr}${del.stdout}`)

        const un = await cniChain(['uninstall', '--bin-dir', bin, '--purge', '--cache-dir', topo.cacheDir, '--state-dir', `${state.portmap},${state.tuning},${state.bandwidth}`], topo)
        t.equal(un.exitCode, 0, `uninstall: ${un.stderr}`)
        t.match(un.stdout, /deleted nft table\(s\) inet cni_portmap_v\d+/)
        t.same(snapshot(conf), { ...confBefore, [primary.name]: snapshot(conf)[primary.name] }, 'no other conf file changed')
        t.equal(await readFile(path, 'utf8'), primary.text, 'the primary conflist is back byte for byte')
        t.same(readdirSync(bin), [], 'the bin dir is empty again')
        t.notOk(existsSync(state.portmap) || existsSync(state.tuning) || existsSync(state.bandwidth), 'state dirs purged')
        t.equal(await nftRuleset(topo.node), rulesetBefore, "the node's ruleset is as before the install")
      })
    }
  })
}
