// A real container runtime: Debian's podman 4.3 with its CNI backend runs busybox containers
// through cni-chain's plugins (bin/ first in cni_plugin_dirs, Debian's bridge and host-local from
// /usr/lib/cni), inside the test's node namespace whose iptables FORWARD policy is DROP (Docker's
// setting, inside that namespace only). test/tools/podman-setup.sh keeps podman's storage, run
// dirs, libcni cache and the plugins' state under the test's temp dir (its header says why each
// setting is needed). podman's default network is its in-memory default conflist (bridge,
// portmap, firewall, tuning; cniVersion 0.4.0, podman's `firewall` entry with backend "").
//  - two containers publish ports with -p (busybox httpd, busybox nc as an echo); a client
//    namespace reaches both through the node's address; only our portmap's table holds them;
//  - `podman rm` of both leaves the node's ruleset, links, libcni cache, host-local leases and
//    our plugins' state as a warm-up container's run and removal left them;
//  - `flush ruleset` under a running container, then `cni-chain reload` reading podman's cache
//    (libcni 1.1 caches no netns: the result's sandbox names it) publishes the port again; `podman
//    rm` then removes everything of ours (Debian's bridge DEL fails on its flushed ipMasq chain).
import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { nftJsonStable } from './lib/inspect.js'
import t from 'tap'
import {
  createTopology, e2eSkip, repoRoot, run, runOk, tcpRoundTrip, type Netns, type RunResult, type Topology,
} from './lib/harness.js'

const SETUP = join(repoRoot, 'test', 'tools', 'podman-setup.sh')
const CLI = join(repoRoot, 'bin', 'cni-chain')
const IMAGE = 'localhost/cc-busybox:latest'

const nftJson = nftJsonStable

const linkNames = async (ns: Netns): Promise<string[]> =>
  (JSON.parse((await runOk(ns, 'ip', ['-j', 'link', 'show'])).stdout) as any[]).map((l) => String(l.ifname)).sort()

/** files: every file under dir, relative (directories end in /), sorted; [] when dir is missing. */
const files = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.map((e) => `${join(e.parentPath ?? (e as any).path, e.name).slice(dir.length + 1)}${e.isDirectory() ? '/' : ''}`).sort()
}

/** httpGet fetches / from host:port out of the client namespace (socat, bounded). */
const httpGet = async (topo: Topology, host: string, port: number): Promise<string> => {
  const r = await run(topo.client, 'socat', ['-T', '3', 'STDIO', `TCP:${host}:${port},connect-timeout=3`], { input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 })
  return r.stdout
}

const explain = (r: RunResult): string => (r.exitCode === 0 ? '' : `: exit ${r.exitCode}: ${r.stderr.trim()} ${r.stdout.trim()}`.slice(0, 2000))

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI) || !existsSync(join(repoRoot, 'bin', 'portmap'))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  t.test('podman 4.3 with its CNI backend runs containers through the plugins', async (t) => {
    const topo = await createTopology(t)
    const node = topo.node
    const dir = join(topo.dir, 'podman')
    // set up first, so that its teardown (registered after the topology's) runs before the node goes
    const setup = await run(undefined, 'bash', [SETUP, 'setup', dir, join(repoRoot, 'bin')], { timeoutMs: 600_000 })
    t.teardown(() => run(undefined, 'bash', [SETUP, 'teardown', dir, node.path], { timeoutMs: 120_000 }))
    if (setup.exitCode !== 0) {
      t.fail(`podman set-up failed${explain(setup)}`)
      return
    }
    t.comment(setup.stdout.trim())
    t.match(setup.stdout, /podman ready: cni backend/)
    const podman = (args: string[]) => run(undefined, 'bash', [SETUP, 'podman', dir, node.path, ...args], { timeoutMs: 120_000 })
    const cacheDir = join(dir, 'cni', 'results')
    const leases = join(dir, 'cni', 'networks', 'podman')
    const state = join(dir, 'run-cni')
    // Docker's setting: without our firewall's mark nothing is forwarded
    await runOk(node, 'iptables', ['-w', '-P', 'FORWARD', 'DROP'])

    const picture = async () => ({
      nft: await nftJson(node),
      links: await linkNames(node),
      cache: await files(cacheDir),
      // host-local's own bookkeeping (last_reserved_ip.0, lock) stays; a lease is a file named by its address
      leases: (await files(leases)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)),
      state: (await files(state)).filter((f) => !f.endsWith('/')),
    })

    // warm-up: the bridge, the skeleton tables and the static accept rule exist from here on
    const warm = await podman(['run', '-d', '--name', 'warm', '-p', '18079:80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www'])
    t.equal(warm.exitCode, 0, `warm-up run${explain(warm)}`)
    t.equal((await podman(['rm', '--force', '--time', '0', 'warm'])).exitCode, 0, 'warm-up rm')
    const baseline = await picture()
    t.same(baseline.cache, [], 'warm-up: nothing cached')
    t.same(baseline.leases, [], 'warm-up: no lease')
    t.same(baseline.state, [], 'warm-up: no state file')

    await t.test('-p publishes the ports of two containers; podman rm leaves nothing', async (t) => {
      const web = await podman(['run', '-d', '--name', 'web', '-p', '18080:80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www'])
      t.equal(web.exitCode, 0, `podman run web${explain(web)}`)
      const echo = await podman(['run', '-d', '--name', 'echo', '-p', '18081:81', IMAGE, 'nc', '-ll', '-p', '81', '-e', '/bin/cat'])
      t.equal(echo.exitCode, 0, `podman run echo${explain(echo)}`)
      const ps = await podman(['ps', '--format', '{{.Names}} {{.Ports}}'])
      t.match(ps.stdout, /web 0\.0\.0\.0:18080->80\/tcp/)
      t.match(ps.stdout, /echo 0\.0\.0\.0:18081->81\/tcp/)

      t.match(await httpGet(topo, topo.nodeClientIp, 18080), /hello-from-podman/, 'client -> node:18080 -> busybox httpd')
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 18081), 'client -> node:18081 -> busybox nc echo')

      // what ran: podman's default conflist, through our portmap and firewall (not Debian's iptables portmap)
      const cached = await files(cacheDir)
      t.equal(cached.length, 2, 'libcni cached both attachments')
      const entry = JSON.parse(await readFile(join(cacheDir, cached[0] as string), 'utf8'))
      const conf = JSON.parse(Buffer.from(entry.config, 'base64').toString('utf8'))
      t.same(conf.plugins.map((p: any) => p.type), ['bridge', 'portmap', 'firewall', 'tuning'], "podman's default conflist")
      t.equal(conf.cniVersion, '0.4.0')
      const nft = await nftJson(node)
      t.match(nft, /"name": "cni_portmap_v2"/, 'our portmap table')
      t.match(nft, /"name": "cni_firewall_v1"/, 'our firewall table')
      t.notMatch(nft, /CNI-HOSTPORT|CNI-DN-/, "no reference portmap's iptables chains")
      t.equal((await picture()).state.length > 0, true, 'our plugins keep state per attachment')

      const rm = await podman(['rm', '--force', '--time', '0', 'web', 'echo'])
      t.equal(rm.exitCode, 0, `podman rm${explain(rm)}`)
      t.same(await picture(), baseline, 'ruleset, links, libcni cache, leases and plugin state as after the warm-up')
      t.notOk(await tcpRoundTrip(topo.client, topo.nodeClientIp, 18081, 1500), 'the port is closed again')
    })

    await t.test('flush ruleset under a running container; cni-chain reload from podman\'s cache publishes it again', async (t) => {
      const web = await podman(['run', '-d', '--name', 'web2', '-p', '18082:80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www'])
      t.equal(web.exitCode, 0, `podman run${explain(web)}`)
      t.match(await httpGet(topo, topo.nodeClientIp, 18082), /hello-from-podman/, 'published')
      // "systemctl restart nftables": every table goes, the FORWARD DROP comes back with its service
      await runOk(node, 'nft', ['flush', 'ruleset'])
      await runOk(node, 'iptables', ['-w', '-P', 'FORWARD', 'DROP'])
      t.notMatch(await httpGet(topo, topo.nodeClientIp, 18082), /hello-from-podman/, 'gone with the flush')
      // the CLI in podman's mount namespace (the sandbox /run/netns/netns-... lives there) and the node's network namespace
      const reload = await run(undefined, 'nsenter', [`--mount=${dir}/mntns`, `--net=${node.path}`, '--', process.execPath, CLI, 'reload', '--cache-dir', '/var/lib/cni'],
        { env: { NODE_EXTRA_CA_CERTS: '' }, timeoutMs: 60_000 })
      t.equal(reload.exitCode, 0, `reload${explain(reload)}`)
      t.match(reload.stdout, /^restored podman [0-9a-f]{64} eth0: re-created by portmap, firewall; intact: tuning$/m)
      t.match(await httpGet(topo, topo.nodeClientIp, 18082), /hello-from-podman/, 'published again')
      const rm = await podman(['rm', '--force', '--time', '0', 'web2'])
      t.equal(rm.exitCode, 0, `podman rm${explain(rm)}`)
      const after = await picture()
      t.same({ leases: after.leases, state: after.state }, { leases: [], state: [] }, 'no lease, no state file of our plugins')
      // Debian's bridge 1.1.1 cannot DEL while the pod's eth0 lives once the flush took its ipMasq
      // chain (reload re-creates only cni-chain's objects): podman logs "plugin type="bridge" failed
      // (delete) ... Chain 'CNI-...' does not exist" from its clean-up process and libcni keeps
      // the cache entry. A later DEL (the netns gone, so bridge skips its iptables) removes it.
      if (after.cache.length > 0) {
        t.equal(after.cache.length, 1, "one entry left (bridge's failed DEL)")
        const entry = JSON.parse(await readFile(join(cacheDir, after.cache[0] as string), 'utf8'))
        const list = join(dir, 'left.conflist')
        await writeFile(list, Buffer.from(entry.config, 'base64'))
        const nftBefore = await nftJson(node)
        const del = await run(undefined, 'nsenter', [`--mount=${dir}/mntns`, `--net=${node.path}`, '--', process.execPath, CLI, 'del', list, '/run/netns/gone',
          '--container-id', entry.containerId, '--cache-dir', '/var/lib/cni', '--bin-dir', `${repoRoot}/bin:/usr/lib/cni`], { env: { NODE_EXTRA_CA_CERTS: '' }, timeoutMs: 60_000 })
        t.equal(del.exitCode, 0, `DEL of the left entry${explain(del)}`)
        t.same(await files(cacheDir), [], 'the entry is gone')
        t.equal(await nftJson(node), nftBefore, 'that DEL found nothing of ours to remove')
      }
      t.notMatch(after.nft, /"name": "(pm|fw)-[a-z2-7]{16}"/, 'no attachment chain left')
      t.same(after.links, baseline.links, 'no veth left')
    })
  })
}
