// Issue 8, item 1 (and the CLI parts of item 7) against the built bin/cni-chain as root: a live
// pod (Debian bridge + host-local, cni-chain portmap publishing 8080), victim files planted where
// the traversal names lead from the cache dir, then every attack of the issue. Each must
// answer one clear error line with the CNI code, leave every file outside the cache dir (bytes and
// mtime), pod1's cache entry, the node's ruleset and links as they were, and print no file bytes.
// Then the same commands with valid names work, and the pod is removed.
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  bridgeConflist, createPod, createTopology, e2eSkip, nftRuleset, repoRoot, run, snapshot, startTcpEcho, tcpRoundTrip,
  writeConf, type Topology,
} from './lib/harness.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')
const SECRET = 'root:x:0:0:secret-victim-bytes\n'

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI)) {
  t.plan(0, 'bin/cni-chain is missing: run npm run build first')
} else {
  t.test('traversal names and empty paths through the real CLI change nothing and leak nothing', async (t) => {
    const topo = await createTopology(t)
    const stateDir = join(topo.dir, 'portmap')
    const conf = await writeConf(topo, 'net.conflist', bridgeConflist(topo, {
      name: 'net', subnet: '10.253.0.0/24', plugins: [{ type: 'portmap', capabilities: { portMappings: true }, stateDir }],
    }))
    // an empty dir as the CLI's working directory: `--cache-dir ""` wrote there
    const cwd = join(topo.dir, 'cwd')
    await mkdir(cwd)
    /** cni runs bin/cni-chain in the node namespace from `cwd`, with this topology's plugin path. */
    const cni = (args: string[]) => run(topo.node, 'env', ['-C', cwd, CLI, ...args], { timeoutMs: 60_000, env: { CNI_PATH: topo.cniPath } })
    const capArgs = JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] })

    const pod1 = await createPod(t, topo, 'sec1')
    t.teardown(() => cni(['del', conf, pod1.path, '--container-id', 'pod1', '--cache-dir', topo.cacheDir, '--cap-args', capArgs]))
    const add = await cni(['add', conf, pod1.path, '--container-id', 'pod1', '--cache-dir', topo.cacheDir, '--cap-args', capArgs])
    t.equal(add.exitCode, 0, `pod1 add: ${add.stderr}`)
    await startTcpEcho(t, pod1, 80)
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 8080, 5000), 'pod1 answers on 8080 before the attacks')

    // the victims: <cache>/results/<name>/../../../X is <topo.dir>/X
    const pod1Entry = join(topo.cacheDir, 'results', 'net-pod1-eth0')
    const victims = {
      [join(topo.dir, 'victim', 'x')]: SECRET, // --ifname /../../../victim/x
      [join(topo.dir, 'victim', 'y-eth0')]: SECRET, // --container-id a/../../../victim/y
      // ports publish 'pod1/../../../elsewhere/net-pod1': a cache entry outside the cache dir
      [join(topo.dir, 'elsewhere', 'net-pod1-eth0')]: (await readFile(pod1Entry, 'utf8')).replace('"pod1"', '"pod1/../../../elsewhere/net-pod1"'),
    }
    for (const [path, content] of Object.entries(victims)) {
      await mkdir(join(path, '..'), { recursive: true })
      await writeFile(path, content)
    }
    const state = async () => ({
      files: await Promise.all([...Object.keys(victims), pod1Entry, conf].map(async (p) => ({ p, bytes: await readFile(p, 'utf8'), mtime: (await stat(p)).mtimeMs }))),
      results: (await readdir(join(topo.cacheDir, 'results'))).sort(),
      dirs: { victim: (await readdir(join(topo.dir, 'victim'))).sort(), elsewhere: (await readdir(join(topo.dir, 'elsewhere'))).sort(), cwd: await readdir(cwd) },
      ruleset: await nftRuleset(topo.node),
      links: (await snapshot(topo.node)).links,
    })
    const before = await state()

    const refused = async (t: Test, label: string, args: string[], code: number, msg: RegExp) => {
      const r = await cni(args)
      t.equal(r.exitCode, 1, `${label}: exit 1`)
      t.equal(r.stdout, '', `${label}: nothing on stdout`)
      // one line (run() strips the final newline)
      t.match(r.stderr, new RegExp(`^cni-chain: ${msg.source}.*\\(CNI error code ${code}\\)$`), `${label}: one clear line`)
      t.notMatch(r.stderr, /secret-victim-bytes|root:x/, `${label}: no file bytes in the error`)
    }
    const common = ['--cache-dir', topo.cacheDir]
    await t.test('del / check / add with a traversal ifname or container id', async (t) => {
      for (const verb of ['del', 'check', 'add']) {
        await refused(t, `${verb} --ifname`, [verb, conf, pod1.path, ...common, '--container-id', 'c1', '--ifname', '/../../../victim/x'], 4, /invalid interface name: interface name "\/\.\.\/\.\.\/\.\.\/victim\/x" is longer than 15 bytes/)
        await refused(t, `${verb} --container-id`, [verb, conf, pod1.path, ...common, '--container-id', 'a/../../../victim/y'], 4, /invalid containerID: "a\/\.\.\/\.\.\/\.\.\/victim\/y" has invalid characters/)
      }
    })
    await t.test('ports publish / unpublish with a traversal container id', async (t) => {
      for (const verb of ['publish', 'unpublish']) {
        await refused(t, `ports ${verb}`, ['ports', verb, 'pod1/../../../elsewhere/net-pod1', '9093:80', '--network', conf, ...common], 4, /invalid containerID/)
        await refused(t, `ports ${verb} --ifname`, ['ports', verb, 'pod1', '9093:80', '--network', conf, ...common, '--ifname', '../../../victim/x'], 4, /invalid interface name/)
      }
    })
    await t.test('empty path options and a plain file as netns', async (t) => {
      await refused(t, 'del --cache-dir ""', ['del', conf, pod1.path, '--container-id', 'pod1', '--cache-dir', ''], 4, /invalid --cache-dir: "": an empty path would be the current directory/)
      await refused(t, 'add --cache-dir ""', ['add', conf, pod1.path, '--container-id', 'pod2', '--cache-dir', ''], 4, /invalid --cache-dir/)
      await refused(t, 'ports publish --cache-dir ""', ['ports', 'publish', 'pod1', '9093:80', '--network', conf, '--cache-dir', ''], 4, /invalid --cache-dir/)
      await refused(t, 'add --conf-dir ""', ['add', 'net', pod1.path, ...common, '--conf-dir', ''], 4, /invalid --conf-dir/)
      const plain = join(topo.dir, 'victim', 'x')
      await refused(t, 'add with a plain file as netns', ['add', conf, plain, ...common, '--container-id', 'pod3'], 4, /invalid CNI_NETNS: ".*victim\/x" is not a network namespace \(not a namespace file\)/)
    })
    t.same(await state(), before, 'victims, pod1\'s entry, the cache dir, the cwd, the ruleset and the links are as they were')
    t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 8080, 5000), 'pod1 still answers on 8080')

    await t.test('a corrupt entry in the cache dir: check reports it without its bytes', async (t) => {
      // its own (empty) namespace: the bridge plugin's DEL removes CNI_IFNAME from CNI_NETNS
      const pod2 = await createPod(t, topo, 'sec2')
      const corrupt = join(topo.cacheDir, 'results', 'net-c2-eth0')
      await writeFile(corrupt, SECRET)
      await refused(t, 'check a corrupt entry', ['check', conf, pod2.path, ...common, '--container-id', 'c2'], 6, /failed to get network "net" cached result: .*net-c2-eth0: not valid JSON/)
      t.equal(await readFile(corrupt, 'utf8'), SECRET, 'check removes nothing')
      const del = await cni(['del', conf, pod2.path, ...common, '--container-id', 'c2'])
      t.equal(del.exitCode, 0, `del of the corrupt attachment: ${del.stderr}`)
      t.notMatch(del.stderr, /secret-victim-bytes/)
      t.notOk(existsSync(corrupt), 'DEL removed the corrupt file inside the cache dir (as libcni)')
    })

    await t.test('the same commands with valid names work', async (t) => {
      const check = await cni(['check', conf, pod1.path, ...common, '--container-id', 'pod1', '--cap-args', capArgs])
      t.equal(check.exitCode, 0, `check: ${check.stderr}`)
      const pub = await cni(['ports', 'publish', 'pod1', '9093:80', '--network', conf, ...common])
      t.equal(pub.exitCode, 0, `ports publish: ${pub.stderr}`)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, 9093, 5000), 'published 9093 answers')
      const unpub = await cni(['ports', 'unpublish', 'pod1', '9093:80', '--network', conf, ...common])
      t.equal(unpub.exitCode, 0, `ports unpublish: ${unpub.stderr}`)
      const del = await cni(['del', conf, pod1.path, ...common, '--container-id', 'pod1', '--cap-args', capArgs])
      t.equal(del.exitCode, 0, `del: ${del.stderr}`)
      t.same((await readdir(join(topo.cacheDir, 'results'))), [], 'pod1\'s entry is gone')
    })
    for (const [path, content] of Object.entries(victims)) t.equal(await readFile(path, 'utf8'), content, `${path} still holds its bytes`)
    t.same(await readdir(cwd), [], 'nothing was ever written in the cwd')
  })
}
