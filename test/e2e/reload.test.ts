// `cni-chain reload` on a real node namespace after `flush ruleset`, the way `systemctl restart
// nftables` does it on Debian (/etc/nftables.conf starts with `flush ruleset`, then loads the
// admin's tables). The node's admin ruleset here drops forwarded traffic in its own table and
// accepts the firewall's mark (the one line the firewall README asks for). A dual-stack pod runs
// under libcni (cnirun): bridge + tuning + portmap + bandwidth + firewall (backend nftables).
//  - "restart nftables" (nft -f of the admin file, inside the node namespace only): the published
//    port stops answering, the pod cannot reach out (the admin drop, no mark any more);
//  - `cni-chain reload` in the node namespace: port, egress and the block of direct ingress are
//    back, the ruleset is the one ADD left (handles aside), the qdiscs were never touched;
//    a pod whose netns is gone is reported as skipped;
//  - a second reload changes nothing (the ruleset with its handles, tc, links: byte for byte);
//  - the ifb and the veth's qdiscs deleted by hand: reload re-creates ifb, both tbfs, clsact and
//    the redirect filter; libcni's DEL afterwards leaves the node as the warm-up left it.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  cnirun, createPod, createTopology, deleteNetns, e2eSkip, repoRoot, run, runOk, startTcpEcho, tcpRoundTrip, writeConf,
  type Netns, type Topology,
} from './lib/harness.js'

const CLI = join(repoRoot, 'bin', 'cni-chain')
const PORT = 18080

/** The node's admin ruleset, as an /etc/nftables.conf would hold it. */
const ADMIN_RULESET = `flush ruleset
table inet admin {
  chain forward {
    type filter hook forward priority 0; policy drop;
    meta mark and 0x1000 == 0x1000 accept
  }
}
`

/** nftJson: `nft -j list ruleset` without metainfo and counters; handles dropped unless `handles`. */
const nftJson = async (ns: Netns, handles = false): Promise<string> => {
  const objs = (JSON.parse((await runOk(ns, 'nft', ['-j', 'list', 'ruleset'])).stdout) as { nftables: object[] }).nftables
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip)
    if (v === null || typeof v !== 'object') return v
    return Object.fromEntries(Object.entries(v).filter(([k]) => handles || k !== 'handle').map(([k, x]) => [k, k === 'counter' ? {} : strip(x)]))
  }
  return JSON.stringify(objs.filter((o) => !('metainfo' in o)).map(strip), null, 1)
}

/** tcState: every qdisc of the node, and the ingress filters of `dev`, without what the kernel numbers itself. */
const tcState = async (ns: Netns, dev: string): Promise<unknown> => {
  const qdiscs = JSON.parse((await runOk(ns, 'tc', ['-j', 'qdisc', 'show'])).stdout || '[]') as any[]
  const filters = JSON.parse((await runOk(ns, 'tc', ['-j', 'filter', 'show', 'dev', dev, 'ingress'])).stdout || '[]') as any[]
  return {
    qdiscs: qdiscs.map((q) => `${q.dev} ${q.kind} ${q.handle} ${q.parent ?? 'root'} ${JSON.stringify(q.options ?? {})}`).sort(),
    filters: filters.filter((f) => f.options).map((f) => ({
      pref: f.pref, protocol: f.protocol, kind: f.kind,
      actions: (f.options.actions ?? []).map((a: any) => `${a.kind} ${a.mirred_action ?? ''} ${a.direction ?? ''} ${a.to_dev ?? ''}`),
    })),
  }
}

/** linkNames: the node's links (name and kind). */
const linkNames = async (ns: Netns): Promise<string[]> =>
  (JSON.parse((await runOk(ns, 'ip', ['-j', '-d', 'link', 'show'])).stdout) as any[]).map((l) => `${l.ifname} ${l.linkinfo?.info_kind ?? ''}`).sort()

const hostVethOf = async (topo: Topology, pod: Netns): Promise<string> => {
  const eth0 = JSON.parse((await runOk(pod, 'ip', ['-j', '-d', 'link', 'show', 'dev', 'eth0'])).stdout)[0]
  const links = JSON.parse((await runOk(topo.node, 'ip', ['-j', 'link', 'show'])).stdout) as any[]
  const peer = links.find((l) => l.ifindex === eth0.link_index)
  if (!peer) throw new Error('no veth peer of the pod in the node')
  return String(peer.ifname)
}

const addressOf = (result: any, family: 4 | 6): string =>
  ((result?.ips ?? []) as { address: string }[]).map((i) => i.address.split('/')[0] ?? '').find((a) => a.includes(':') === (family === 6)) ?? ''

/** reload runs `cni-chain reload --json` inside the node namespace. */
const reload = async (topo: Topology, extra: string[] = []) => {
  const r = await run(topo.node, process.execPath, [CLI, 'reload', '--cache-dir', topo.cacheDir, '--json', ...extra], { env: { NODE_EXTRA_CA_CERTS: '' }, timeoutMs: 60_000 })
  let report: any
  try {
    report = JSON.parse(r.stdout)
  } catch {
    report = undefined
  }
  return { ...r, report }
}

const outcomesOf = (report: any, id: string) => {
  const a = (report?.attachments ?? []).find((x: any) => x.containerId === id)
  return a ? { outcome: a.outcome, plugins: Object.fromEntries(a.plugins.map((p: any) => [p.type, p.outcome])) } : undefined
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (!existsSync(CLI)) {
  t.plan(0, 'bin/cni-chain is missing: run npm run build first')
} else {
  t.test('reload after flush ruleset: published port, firewall and shaping come back; a second reload changes nothing', async (t) => {
    const topo = await createTopology(t)
    const node = topo.node
    const adminFile = join(topo.dir, 'nftables.conf')
    await writeFile(adminFile, ADMIN_RULESET, { mode: 0o600 })
    // "systemctl start nftables", inside the node namespace
    await runOk(node, 'nft', ['-f', adminFile])

    const conflist = await writeConf(topo, 'reload.conflist', {
      cniVersion: '1.0.0',
      name: 'relnet',
      plugins: [
        {
          type: 'bridge', bridge: 'cc-rl0', isGateway: true, ipMasq: false, hairpinMode: true,
          ipam: {
            type: 'host-local', dataDir: join(topo.dir, 'ipam'),
            ranges: [[{ subnet: '10.252.7.0/24' }], [{ subnet: 'fd00:252:7::/64' }]],
            routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
          },
        },
        { type: 'tuning', dataDir: join(topo.dir, 'tuning'), sysctl: { 'net.core.somaxconn': '1024' } },
        { type: 'portmap', capabilities: { portMappings: true }, stateDir: join(topo.dir, 'portmap') },
        { type: 'bandwidth', dataDir: join(topo.dir, 'bandwidth'), ingressRate: 50_000_000, ingressBurst: 500_000, egressRate: 50_000_000, egressBurst: 500_000 },
        { type: 'firewall', backend: 'nftables', stateDir: join(topo.dir, 'firewall') },
      ],
    })
    const caps = { portMappings: [{ hostPort: PORT, containerPort: 80, protocol: 'tcp' }] }
    await startTcpEcho(t, topo.client, 7000)

    // warm-up: bridge and skeleton tables exist from here on; the baseline for the final DEL
    const warm = await createPod(t, topo, 'rlwarm')
    const w = await cnirun(topo, 'add', conflist, warm, { containerId: 'warm', capArgs: caps })
    t.equal(w.exitCode, 0, `warm-up ADD${w.exitCode === 0 ? '' : `: ${w.stdout}${w.stderr}`}`)
    t.equal((await cnirun(topo, 'del', conflist, warm, { containerId: 'warm', capArgs: caps })).exitCode, 0, 'warm-up DEL')
    await deleteNetns(warm.name)
    const baseline = { nft: await nftJson(node), links: await linkNames(node) }

    const pod = await createPod(t, topo, 'rla')
    const add = await cnirun(topo, 'add', conflist, pod, { containerId: 'rl-a', capArgs: caps })
    t.equal(add.exitCode, 0, `ADD${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
    const [v4, v6] = [addressOf(add.json, 4), addressOf(add.json, 6)]
    const veth = await hostVethOf(topo, pod)
    for (let i = 0; i < 50 && /tentative/.test((await run(pod, 'ip', ['-6', 'addr', 'show', 'dev', 'eth0'])).stdout); i++) await new Promise((r) => setTimeout(r, 100))
    await startTcpEcho(t, pod, 80)

    const works = async (t: Test, label: string) => {
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp, PORT), `${label}: client -> node:${PORT} -> pod:80 (IPv4)`)
      t.ok(await tcpRoundTrip(topo.client, topo.nodeClientIp6, PORT), `${label}: client -> [node]:${PORT} -> pod:80 (IPv6)`)
      t.ok(await tcpRoundTrip(pod, topo.clientIp, 7000), `${label}: pod -> client and the replies`)
      t.notOk(await tcpRoundTrip(topo.client, v4, 80, 1500), `${label}: client -> pod:80 directly does not get in`)
    }
    await works(t, 'after ADD')
    const addedNft = await nftJson(node)
    t.match(addedNft, /"name": "cni_portmap_v2"/)
    t.match(addedNft, /"name": "cni_firewall_v1"/)

    // a second pod whose netns goes away without a DEL: its cache entry stays, reload skips it
    // (its objects are left for DEL or GC: the flush takes its nft objects, its ifb stays)
    const gone = await createPod(t, topo, 'rlgone')
    const addGone = await cnirun(topo, 'add', conflist, gone, { containerId: 'rl-gone' })
    t.equal(addGone.exitCode, 0, `ADD of the second pod${addGone.exitCode === 0 ? '' : `: ${addGone.stdout}${addGone.stderr}`}`)
    const goneVeth = await hostVethOf(topo, gone)
    await deleteNetns(gone.name)
    // the kernel removes the node end of the veth asynchronously (bounded wait: 100 polls, ~5 s)
    for (let i = 0; i < 100 && (await run(node, 'ip', ['link', 'show', 'dev', goneVeth])).exitCode === 0; i++) await new Promise((r) => setTimeout(r, 50))
    t.not((await run(node, 'ip', ['link', 'show', 'dev', goneVeth])).exitCode, 0, "the gone pod's veth is gone")
    const added = { nft: addedNft, tc: await tcState(node, veth), links: await linkNames(node) }

    await t.test('"systemctl restart nftables" (flush ruleset + the admin table) takes the pod off the network', async (t) => {
      await runOk(node, 'nft', ['-f', adminFile])
      const now = await nftJson(node)
      t.notMatch(now, /cni_portmap|cni_firewall/, 'our tables are gone')
      t.notOk(await tcpRoundTrip(topo.client, topo.nodeClientIp, PORT, 1500), 'the published port does not answer')
      t.notOk(await tcpRoundTrip(pod, topo.clientIp, 7000, 1500), 'the pod cannot reach out (admin drop, no mark)')
      t.same(await tcState(node, veth), added.tc, 'flush ruleset leaves the qdiscs alone')
    })

    await t.test('cni-chain reload brings port, firewall and its marks back, exactly as ADD made them', async (t) => {
      const r = await reload(topo)
      t.equal(r.exitCode, 0, `reload: ${r.stderr}`)
      t.same(outcomesOf(r.report, 'rl-a'), { outcome: 'restored', plugins: { tuning: 'intact', portmap: 'restored', bandwidth: 'intact', firewall: 'restored' } })
      t.same(outcomesOf(r.report, 'rl-gone'), { outcome: 'skipped', plugins: {} })
      t.match((r.report?.attachments ?? []).find((a: any) => a.containerId === 'rl-gone')?.reason, /netns gone/)
      t.equal(r.report?.attachments?.length, 2, 'both cached attachments are reported')
      await works(t, 'after reload')
      t.same(await nftJson(node), added.nft, 'the ruleset is the one ADD left (handles aside)')
      t.same(await tcState(node, veth), added.tc, 'the qdiscs were not touched')
    })

    await t.test('a second reload changes nothing', async (t) => {
      const before = { nft: await nftJson(node, true), tc: await tcState(node, veth), links: await linkNames(node) }
      const r = await reload(topo)
      t.equal(r.exitCode, 0, `reload: ${r.stderr}`)
      t.same(outcomesOf(r.report, 'rl-a'), { outcome: 'intact', plugins: { tuning: 'intact', portmap: 'intact', bandwidth: 'intact', firewall: 'intact' } })
      t.same({ nft: await nftJson(node, true), tc: await tcState(node, veth), links: await linkNames(node) }, before, 'ruleset (with handles), qdiscs and links are the same')
      // the text report names each attachment
      const text = await run(node, process.execPath, [CLI, 'reload', '--cache-dir', topo.cacheDir], { env: { NODE_EXTRA_CA_CERTS: '' } })
      t.equal(text.exitCode, 0)
      t.match(text.stdout, /^intact {3}relnet rl-a eth0: intact: tuning, portmap, bandwidth, firewall$/m)
      t.match(text.stdout, /^skipped {2}relnet rl-gone eth0: netns gone/m)
    })

    await t.test('the ifb and the qdiscs deleted by hand: reload re-creates ifb, tbfs, clsact and the redirect', async (t) => {
      const ifb = String(add.json.interfaces.at(-1).name)
      t.match(ifb, /^bwp[0-9a-f]+$/)
      await runOk(node, 'ip', ['link', 'del', 'dev', ifb])
      await runOk(node, 'tc', ['qdisc', 'del', 'dev', veth, 'root'])
      await runOk(node, 'tc', ['qdisc', 'del', 'dev', veth, 'clsact'])
      t.notSame(await tcState(node, veth), added.tc, 'the shaping is gone')
      const r = await reload(topo)
      t.equal(r.exitCode, 0, `reload: ${r.stderr}`)
      t.same(outcomesOf(r.report, 'rl-a'), { outcome: 'restored', plugins: { tuning: 'intact', portmap: 'intact', bandwidth: 'restored', firewall: 'intact' } })
      t.same(await tcState(node, veth), added.tc, 'ifb tbf, veth tbf, clsact and the redirect to the ifb are back')
      t.same(await linkNames(node), added.links, 'the same ifb name')
      await works(t, 'after re-shaping')
    })

    await t.test("libcni's DEL after the reloads leaves the node as the warm-up did", async (t) => {
      const del = await cnirun(topo, 'del', conflist, pod, { containerId: 'rl-a', capArgs: caps })
      t.equal(del.exitCode, 0, `DEL: ${del.stderr}`)
      // the gone pod's cache entry: DEL without a netns (its objects were flushed and never re-made)
      const delGone = await cnirun(topo, 'del', conflist, gone, { containerId: 'rl-gone' })
      t.equal(delGone.exitCode, 0, `DEL of the gone pod: ${delGone.stderr}`)
      t.same(await nftJson(node), baseline.nft, 'the ruleset is the baseline')
      t.same((await linkNames(node)).filter((l) => !l.endsWith(' veth')), baseline.links.filter((l) => !l.endsWith(' veth')), 'no ifb left')
      const r = await reload(topo)
      t.same(r.report, { attachments: [] }, 'nothing cached any more')
    })
  })
}
