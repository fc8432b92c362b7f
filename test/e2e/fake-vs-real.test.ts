// Keeps the semantic fake host (src/host/fake/) honest: the same operations (test/e2e/fake-vs-real/
// sequence.ts: nft batches with EEXIST/ENOENT/EBUSY refusals and atomic rollback, ip link changes
// on a veth pair, batches that stop or go on, an ifb, tbf/clsact/u32+mirred add and delete,
// sysctl writes, files) run on the real host inside a throw-away node namespace, and on the fake
// seeded with the same links, addresses and sysctls; every answer and every read-back must match.
//
// Normalised before comparing, because they legitimately differ or the fake does not model them:
// - `ip -j -d link show`: only the fields the fake models are compared (ifindex, link/link_index,
//   ifname, flags, mtu, qdisc, operstate, linkmode, group, txqlen, link_type, address, broadcast,
//   link_netnsid, promiscuity, allmulti, min_mtu, max_mtu, linkinfo.info_kind); the rest (gso/tso
//   sizes, queue counts, addr_gen_mode, bridge info_data) is dropped (`ip -j addr show` adds
//   addr_info, compared whole; IPv6 link-local addresses are not modelled and not read); the MAC of a link the
//   sequence creates is random on the real side and is replaced by "(random)".
// - `tc -j qdisc show`: refcnt is dropped (it counts the device's tx queues, i.e. the CPUs).
// - nft: map and set elements are sorted (the kernel's hash order is arbitrary); a refused
//   batch's stderr is reduced to the errno text (nft adds "did you mean ..." hints of its cache).
// - mirred action indexes after the first filter deletion: the kernel frees a deleted u32 node's
//   actions after an RCU grace period, so the index the next action gets is timing-dependent (the
//   fake gives the settled answer, the lowest free index); before any deletion they are compared.
// - sysctl failures are compared by reason (the real own-namespace path reports Node's errno text).
// Everything else — values, handles, ifindexes, error texts of ip and tc — is compared as is.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleCjs } from './lib/bundle.js'
import t from 'tap'
import { createSemanticHost } from '../../src/host/fake/index.js'
import { createRealHost } from '../../src/host/real.js'
import { createNetns, e2eSkip, run, runOk } from './lib/harness.js'
import { SYSCTL_KEYS, runSequence, type Observation } from './fake-vs-real/sequence.js'

const LINK_FIELDS = ['addr_info', 'ifindex', 'link', 'link_index', 'ifname', 'flags', 'mtu', 'qdisc', 'operstate', 'linkmode', 'group', 'txqlen',
  'link_type', 'address', 'broadcast', 'link_netnsid', 'promiscuity', 'allmulti', 'min_mtu', 'max_mtu', 'linkinfo']
const CREATED = new Set(['ifb0', 's1', 's2'])

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)

const normLink = (l: Record<string, any>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of LINK_FIELDS) if (k in l) out[k] = l[k]
  if (isObj(l.linkinfo)) out.linkinfo = { info_kind: l.linkinfo.info_kind }
  if (CREATED.has(String(l.ifname))) out.address = '(random)'
  return out
}

const sortElems = (o: Record<string, any>): Record<string, any> =>
  Array.isArray(o.elem) ? { ...o, elem: [...o.elem].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) } : o

const ERRNO = /File exists|No such file or directory|Device or resource busy|Operation not supported|conflicting protocols specified: [^\n]*/

const maskIndexes = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(maskIndexes)
  if (!isObj(v)) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'index' && v.kind === 'mirred' ? '(after a deletion)' : maskIndexes(x)]))
}

const normalize = (raw: Observation, afterFilterDel: boolean): Observation => {
  // both sides as JSON (the real ones came through stdout: undefined in arrays is null there)
  const obs = JSON.parse(JSON.stringify(raw)) as Observation
  const o = obs.outcome as Record<string, any>
  if ('error' in o) {
    if (o.tool === 'nft') return { ...obs, outcome: { error: o.error, tool: 'nft', errno: ERRNO.exec(String(o.stderr))?.[0] ?? o.stderr } }
    if (o.tool === 'sysctl') return { ...obs, outcome: { error: o.error, tool: 'sysctl' } }
    return obs
  }
  const v = o.ok
  if (!Array.isArray(v)) return obs
  if (obs.step.startsWith('ip -d link') || obs.step.startsWith('ip route') || obs.step.startsWith('ip addr')) {
    return { ...obs, outcome: { ok: v.map((x) => (isObj(x) && 'ifname' in x ? normLink(x) : x)) } }
  }
  if (obs.step.startsWith('tc filter show') && afterFilterDel) return { ...obs, outcome: { ok: maskIndexes(v) } }
  if (obs.step.startsWith('tc qdisc show')) return { ...obs, outcome: { ok: v.map((q) => { const { refcnt: _r, ...rest } = q as Record<string, unknown>; return rest }) } }
  if (obs.step.startsWith('nft list')) {
    return { ...obs, outcome: { ok: v.map((x) => (isObj(x) && (isObj(x.map) || isObj(x.set)) ? (isObj(x.map) ? { map: sortElems(x.map) } : { set: sortElems(x.set) }) : x)) } }
  }
  return obs
}

const bundle = (dir: string): Promise<string> => bundleCjs('test/e2e/fake-vs-real/real-main.ts', join(dir, 'fake-vs-real-main.cjs'))

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('the semantic fake answers as nft, ip, tc, sysctl and the file system do', async (t) => {
    const node = await createNetns(t, 'fknode')
    const pod = await createNetns(t, 'fkpod')
    const tmp = await mkdtemp(join(tmpdir(), 'cc-fake-vs-real-'))
    t.teardown(() => rm(tmp, { recursive: true, force: true }))
    const dir = join(tmp, 'files')
    await runOk(node, 'ip', ['link', 'add', 'name', 'vh', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name])
    await runOk(node, 'ip', ['addr', 'add', '10.200.0.1/24', 'dev', 'vh'])

    // seed the fake with what the real namespaces hold now
    const real = createRealHost()
    const fake = createSemanticHost()
    fake.addNamespace(pod.path)
    const nodeLinks = await real.ip.json<any[]>(['-d', 'link', 'show'], node.path)
    const podLinks = await real.ip.json<any[]>(['-d', 'link', 'show'], pod.path)
    const vh = nodeLinks.find((l) => l.ifname === 'vh')
    const eth0 = podLinks.find((l) => l.ifname === 'eth0')
    t.ok(vh && eth0, 'the veth pair exists')
    t.same([nodeLinks.length, podLinks.length], [2, 2], 'lo and one veth end each')
    fake.addVethPair(
      { ns: undefined, name: 'vh', ifindex: vh.ifindex, address: vh.address, mtu: vh.mtu, txqlen: vh.txqlen },
      { ns: pod.path, name: 'eth0', ifindex: eth0.ifindex, address: eth0.address, mtu: eth0.mtu, txqlen: eth0.txqlen },
    )
    await fake.ip.run([['link', 'set', 'dev', 'lo', 'up']])
    await fake.ip.run([['link', 'set', 'dev', 'lo', 'up']], pod.path)
    fake.addAddress(undefined, 'vh', '10.200.0.1/24')
    fake.addRoute(undefined, { dst: '10.200.0.0/24', dev: 'vh', prefsrc: '10.200.0.1' })
    for (const ns of [node.path, pod.path]) {
      const values = await real.sysctl.read(SYSCTL_KEYS, ns)
      fake.setSysctls(ns === node.path ? undefined : ns, Object.fromEntries(SYSCTL_KEYS.flatMap((k, i) => (values[i] === undefined ? [] : [[k, values[i] as string]]))))
    }

    const script = await bundle(tmp)
    const r = await run(node, process.execPath, [script], { input: JSON.stringify({ pod: pod.path, dir }), timeoutMs: 120_000 })
    t.equal(r.exitCode, 0, `real sequence ran: ${r.stderr.trim()}`)
    const realObs = JSON.parse(r.stdout) as Observation[]
    const fakeObs = await runSequence(fake, { pod: pod.path, dir })
    t.equal(fakeObs.length, realObs.length, 'same number of steps')
    t.ok(realObs.length > 100, `${realObs.length} steps compared`)
    let afterFilterDel = false
    for (const [i, f] of fakeObs.entries()) {
      const want = realObs[i]
      if (!want) break
      afterFilterDel ||= /^tc filter del /.test(want.step) && (want.outcome as { ok?: unknown }).ok !== undefined
      t.same(normalize(f, afterFilterDel), normalize(want, afterFilterDel), `${i}: ${want.step}`)
    }
    t.ok(realObs.some((o) => (o.outcome as any).error === 'exists') && realObs.some((o) => (o.outcome as any).error === 'not-found') && realObs.some((o) => (o.outcome as any).error === 'busy'),
      'the real side did refuse with EEXIST, ENOENT and EBUSY')
  })
}
