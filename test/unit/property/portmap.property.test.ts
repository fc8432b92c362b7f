// Property: for generated portmap configs (1–4 mappings: tcp/udp/sctp in any case, with or
// without hostIP — wildcard, 0.0.0.0, ::, IPv4, IPv6 in any spelling —, snat on/off/absent,
// masqAll, markMasqBit, conditionsV4/V6, excludeDestinations, own stateDir; prevResults IPv4,
// IPv6 or dual-stack in the shape of every spec version) on a node that may already serve
// another attachment, through the real dispatcher on the semantic fake host:
//   1. ADD either succeeds, or is refused — code 7 before any effect, or code 100 (a host port
//      another attachment holds) — leaving the host as it was;
//   2. after a successful ADD: CHECK (spec >= 0.4.0) succeeds, DEL succeeds, and the host is as it
//      was before ADD;
//   3. a failure injected at each effectful call of a successful ADD leaves the host as it was
//      (ADD fails; or, when the failing call was a best-effort one such as a conntrack flush, ADD
//      succeeds and a DEL restores it).
// Documented persistent state, left out of the comparison: portmap's skeleton in its table (the
// table, its maps and sets while empty, its stamp sets `stamp-…`, the base/dispatch/specific/masq/raw
// chains and their rules — everything but pod chains `pm-…`, shared port chains `sp…` and map
// elements) and the
// state directories under stateDir (created by the first write, never removed: the FileHost seam
// has no rmdir).
import t from 'tap'
import { isStampName } from '../../../src/nft/stamp.js'
import { createSemanticHost, type SemanticHost } from '../../../src/host/fake/index.js'
import { SUPPORTED_VERSIONS } from '../../../src/cni/versions.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { TABLE, isPodChainName, parseSharedChainName } from '../../../meta-plugins/portmap/layout.js'
import { allowsCheck, call, rng, runsFromEnv, seedFromEnv, type Rng } from './lib.js'

const DEFAULT_STATE_DIR = '/run/cni/portmap'
const POD_NETNS = '/var/run/netns/prop-pod'

interface Mapping {
  hostPort: number
  containerPort: number
  protocol?: string
  hostIP?: string
}

interface Attachment {
  containerId: string
  ifname: string
  conf: Record<string, unknown>
}

interface Case {
  worldSeed: number
  stateDir: string
  other?: Attachment
  mine: Attachment
}

const HOST_IPS = [undefined, undefined, '', '0.0.0.0', '::', '192.0.2.10', '192.0.2.11', '2001:db8::10', '2001:DB8:0::11', '2001:db8:0:0::10']
const CONDITIONS_V4 = [['ip', 'saddr', '10.0.0.0/8'], ['iifname', 'eth*'], ['th dport 1-65535'], ['meta mark != 0x1'], ['ip daddr != 192.0.2.99']]
const CONDITIONS_V6 = [['ip6 saddr fd00::/8'], ['oifname != lo'], ['th sport != 7']]

const genMappings = (r: Rng): Mapping[] => {
  const out: Mapping[] = []
  for (let i = r.int(1, 4); i > 0; i--) {
    const proto = r.pick([undefined, 'tcp', 'udp', 'sctp', 'TCP', 'Udp'])
    const m: Mapping = { hostPort: r.int(8000, 8006), containerPort: r.pick([80, 443, 8080, r.int(1, 65535)]) }
    if (proto !== undefined) m.protocol = proto
    const ip = r.pick(HOST_IPS)
    if (ip !== undefined) m.hostIP = ip
    out.push(m)
    if (r.bool(0.1)) out.push({ ...m }) // an identical duplicate: merged
  }
  return out
}

const prevResult = (r: Rng, version: string, ifname: string, fams: (4 | 6)[]): object => {
  const old = version.startsWith('0.')
  const ips = fams.map((f) => ({
    ...(old ? { version: String(f) } : {}),
    address: f === 4 ? `10.244.${r.int(0, 3)}.${r.int(2, 250)}/${r.pick([16, 24])}` : `fd00:244::${r.int(2, 0xfff).toString(16)}/64`,
    gateway: f === 4 ? '10.244.0.1' : 'fd00:244::1',
    interface: 1,
  }))
  return {
    cniVersion: version,
    interfaces: [{ name: 'cni0', mac: '02:00:00:00:00:01' }, { name: ifname, mac: '02:00:00:00:00:02', sandbox: POD_NETNS }],
    ips: r.bool(0.15) ? [...ips.map((ip) => ({ ...ip, interface: 0 })), ...ips] : ips, // addresses of other interfaces are skipped
  }
}

const genAttachment = (r: Rng, stateDir: string, network: string): Attachment => {
  const version = r.pick(SUPPORTED_VERSIONS)
  const ifname = r.pick(['eth0', 'net1'])
  const fams = r.pick<(4 | 6)[]>([[4], [6], [4, 6], [4, 6]])
  const conf: Record<string, unknown> = {
    cniVersion: version, name: network, type: 'portmap',
    ...(stateDir !== DEFAULT_STATE_DIR ? { stateDir } : {}),
    runtimeConfig: { [r.pick(['portMappings', 'PortMappings'])]: genMappings(r) },
    prevResult: prevResult(r, version, ifname, fams),
  }
  const snat = r.pick([undefined, true, false])
  if (snat !== undefined) conf.snat = snat
  if (r.bool(0.2)) conf.masqAll = true
  if (r.bool(0.3)) conf.markMasqBit = r.int(0, 31)
  if (r.bool(0.3)) conf.conditionsV4 = r.subset(CONDITIONS_V4, 0.4).flat()
  if (r.bool(0.2)) conf.conditionsV6 = r.subset(CONDITIONS_V6, 0.5).flat()
  if (r.bool(0.2)) conf.excludeDestinations = r.subset(['10.96.0.0/12', '192.0.2.11', 'fd00:96::/108'], 0.6)
  return { containerId: `ctr-${r.int(0, 0xffffff).toString(16)}`, ifname, conf }
}

const genCase = (r: Rng): Case => {
  const stateDir = r.bool(0.8) ? DEFAULT_STATE_DIR : '/run/cni/portmap-prop'
  const network = r.pick(['podnet', 'kindnet'])
  return {
    worldSeed: r.int(0, 2 ** 31),
    stateDir,
    ...(r.bool(0.5) ? { other: genAttachment(r, stateDir, r.bool(0.7) ? network : 'othernet') } : {}),
    mine: genAttachment(r, stateDir, network),
  }
}

/** the node: cni0 (the pods' bridge, route_localnet as found) routes the pod subnets */
const buildNode = (c: Case): SemanticHost => {
  const r = rng(c.worldSeed)
  const host = createSemanticHost()
  host.addNamespace(POD_NETNS)
  host.setSysctls(undefined, { 'net/ipv4/conf/default/route_localnet': '0', 'net/ipv4/conf/all/route_localnet': '0' })
  host.addLink(undefined, { name: 'cni0', kind: 'bridge', up: true })
  host.setSysctls(undefined, { 'net/ipv4/conf/cni0/route_localnet': r.bool(0.2) ? '1' : '0' })
  host.addAddress(undefined, 'cni0', '10.244.0.1/16')
  host.addAddress(undefined, 'cni0', 'fd00:244::1/64')
  if (r.bool(0.9)) host.addRoute(undefined, { dst: '10.244.0.0/16', dev: 'cni0', prefsrc: '10.244.0.1' })
  host.addRoute(undefined, { dst: 'fd00:244::/64', dev: 'cni0' })
  return host
}

const env = (a: Attachment, verb: string): Record<string, string> => ({
  CNI_COMMAND: verb, CNI_CONTAINERID: a.containerId, CNI_NETNS: POD_NETNS, CNI_IFNAME: a.ifname,
})

const under = (dir: string, d: string): boolean => d === dir || d.startsWith(`${dir}/`) || dir.startsWith(`${d}/`)

/** comparable: the snapshot without the documented persistent skeleton and state directories. */
const comparable = (host: SemanticHost, c: Case): unknown => {
  const snap = host.snapshot() as { dirs: string[]; namespaces: Record<string, { nft: { table: string; objects: Record<string, any>[] }[] }> }
  const own = snap.namespaces[''] as { nft: { table: string; objects: Record<string, any>[] }[] }
  const keep = (name: string): boolean => isPodChainName(name) || parseSharedChainName(name) !== undefined
  const nft = own.nft.flatMap((tbl) => {
    if (tbl.table !== `${TABLE.family} ${TABLE.table}`) return [tbl]
    const objects = tbl.objects.filter((o) => {
      if (o.table) return false
      if (o.chain) return keep(o.chain.name)
      if (o.rule) return keep(o.rule.chain)
      const s = o.map ?? o.set
      if (o.set && isStampName(o.set.name)) return false
      return s ? Array.isArray(s.elem) && s.elem.length > 0 : true
    })
    return objects.length > 0 ? [{ ...tbl, objects }] : []
  })
  return { ...snap, dirs: snap.dirs.filter((d) => !under(c.stateDir, d)), namespaces: { ...snap.namespaces, '': { ...own, nft } } }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

interface Failure {
  index: number
  case: Case
  what: string
  detail?: unknown
}

t.test('portmap: ADD → CHECK → DEL leaves the host as it was; a failure at any ADD step too', async (t) => {
  const seed = seedFromEnv(t)
  const runs = runsFromEnv(250)
  const only = process.env.PROPERTY_ONLY === undefined ? undefined : Number(process.env.PROPERTY_ONLY)
  const r = rng(seed)
  const failures: Failure[] = []
  const outcomes = { added: 0, refused7: 0, conflict: 0, nothingToDo: 0, injected: 0 }

  /** node: a fresh node with the other attachment (if any) added */
  const node = async (c: Case): Promise<SemanticHost | undefined> => {
    const host = buildNode(c)
    if (c.other) {
      const res = await call(portmapPlugin, host, env(c.other, 'ADD'), c.other.conf)
      if (res.code !== 0) return undefined
    }
    return host
  }

  for (let index = 0; index < runs; index++) {
    const c = genCase(r)
    if (only !== undefined && index !== only) continue
    const fail = (what: string, detail?: unknown): void => void failures.push({ index, case: c, what, ...(detail !== undefined ? { detail } : {}) })
    const host = await node(c)
    if (!host) { delete c.other; index--; continue } // the other attachment's own config was refused: draw again
    const before = comparable(host, c)
    const start = host.calls.length
    const add = await call(portmapPlugin, host, env(c.mine, 'ADD'), c.mine.conf)
    const addCalls = host.calls.length - start
    if (add.code !== 0) {
      const code = add.out?.code
      if (code === 7 && addCalls === 0) outcomes.refused7++
      else if (code === 100) outcomes.conflict++
      else fail(`ADD failed with code ${String(code)}`, add.out)
      if (!same(comparable(host, c), before)) fail('a refused ADD left changes', { before, after: comparable(host, c) })
      continue
    }
    if (addCalls === 0) outcomes.nothingToDo++
    else outcomes.added++
    if (allowsCheck(String(c.mine.conf.cniVersion))) {
      const check = await call(portmapPlugin, host, env(c.mine, 'CHECK'), { ...c.mine.conf, prevResult: add.out })
      if (check.code !== 0) fail('CHECK failed after ADD', check.out)
    }
    const { prevResult: _p, ...delConf } = c.mine.conf
    const del = await call(portmapPlugin, host, env(c.mine, 'DEL'), r.bool(0.3) ? delConf : c.mine.conf)
    if (del.code !== 0) fail('DEL failed', del.out)
    if (!same(comparable(host, c), before)) fail('ADD+DEL changed the host', { before, after: comparable(host, c) })

    for (let i = 0; i < addCalls; i++) {
      const h = await node(c)
      if (!h) break
      const s0 = comparable(h, c)
      const at = h.calls.length + i
      h.failAt(at, 'semantic fake: injected failure (Operation not permitted)')
      const res = await call(portmapPlugin, h, env(c.mine, 'ADD'), c.mine.conf)
      outcomes.injected++
      const failed = h.calls[at]
      if (res.code === 0) {
        // only a best-effort step may fail without failing ADD; DEL must still clean up
        if (failed?.tool !== 'conntrack') fail(`ADD succeeded with call ${i} failing`, failed)
        await call(portmapPlugin, h, env(c.mine, 'DEL'), c.mine.conf)
      }
      if (!same(comparable(h, c), s0)) fail(`a failure at ADD call ${i} (${failed?.tool}) left changes`, { failed, before: s0, after: comparable(h, c) })
    }
  }
  t.comment(`${runs} configs: ${outcomes.added} added and removed, ${outcomes.nothingToDo} with nothing to do, ${outcomes.conflict} refused as conflicts, ${outcomes.refused7} refused as invalid; ${outcomes.injected} injected failures`)
  const kinds = new Map<string, number>()
  for (const f of failures) {
    const kind = f.what.replace(/\(.*\)/, '(…)').replace(/\d+/g, 'N')
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  }
  for (const [k, n] of kinds) t.comment(`${n} × ${k}`)
  t.ok(runs < 200 || outcomes.added >= 150, 'most generated configs add something (the property is not vacuous)')
  t.same(failures.slice(0, 3), [], `no property broke (seed ${seed}; replay one with PROPERTY_SEED=${seed} PROPERTY_ONLY=<index>)`)
})
