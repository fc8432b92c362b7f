// The operations test/e2e/fake-vs-real.test.ts runs on the real host (inside a throw-away node
// namespace) and on the semantic fake, and what each reads back. It is run with the node
// namespace as "own" (netns undefined) and the pod namespace by path, like a plugin runs.
// Expected world before it starts: node has lo and veth `vh` (down), whose peer `eth0` (down) is
// in the pod; vh will carry 10.200.0.1/24 once up; the sysctl keys in SYSCTL_KEYS exist.
import type { Host } from '../../../src/host/types.js'
import { HostError } from '../../../src/host/types.js'
import type { NftCommand, NftObject } from '../../../src/nft/types.js'

export interface Env {
  /** the pod namespace's path */
  pod: string
  /** a private directory for the file operations */
  dir: string
}

export interface Observation {
  step: string
  /** what the operation answered: its value, or how it failed */
  outcome: unknown
}

/** The sysctls the sequence reads (seed the fake with their real values, in both namespaces). */
export const SYSCTL_KEYS = [
  'net/core/somaxconn', 'net/ipv4/conf/all/route_localnet', 'net/ipv4/conf/default/arp_filter',
  'net/ipv4/conf/vh/arp_filter', 'net/ipv4/conf/eth0/arp_filter', 'net/ipv6/conf/default/disable_ipv6',
  'net/ipv6/conf/vh/disable_ipv6', 'net/ipv6/conf/eth0/disable_ipv6',
]

// ---- nft batches --------------------------------------------------------------------------------

const T = { family: 'inet', table: 'cc_fake' }
const m = (left: unknown, right: unknown, op = '=='): unknown => ({ match: { op, left, right } })
const pl = (protocol: string, field: string): unknown => ({ payload: { protocol, field } })
const meta = (key: string): unknown => ({ meta: { key } })
const chain = (name: string, base?: object): NftObject => ({ chain: { ...T, name, ...base } })
const rule = (c: string, expr: unknown[], comment?: string): NftCommand => ({ add: { rule: { ...T, chain: c, expr, ...(comment ? { comment } : {}) } } })
const el = (map: string, elem: unknown[]): NftObject => ({ element: { ...T, name: map, elem } })
const goto = (target: string): unknown => ({ goto: { target } })
const cc = (...parts: unknown[]): unknown => ({ concat: parts })

const SKELETON: NftCommand[] = [
  { add: { table: { family: 'inet', name: 'cc_fake' } } },
  { add: { map: { ...T, name: 'any', type: ['inet_proto', 'inet_service'], map: 'verdict' } } },
  { add: { map: { ...T, name: 'v4', type: ['ipv4_addr', 'inet_proto', 'inet_service'], map: 'verdict' } } },
  { add: { map: { ...T, name: 'v6', type: ['ipv6_addr', 'inet_proto', 'inet_service'], map: 'verdict' } } },
  { add: { set: { ...T, name: 'blocked', type: 'ipv4_addr' } } },
  { add: chain('dispatch') },
  { add: chain('prerouting', { type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' }) },
  { add: chain('raw', { type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' }) },
  { add: chain('masq', { type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' }) },
  { flush: chain('dispatch') },
  rule('dispatch', [{ vmap: { key: cc(pl('ip', 'daddr'), meta('l4proto'), pl('th', 'dport')), data: '@v4' } }]),
  rule('dispatch', [{ vmap: { key: cc(pl('ip6', 'daddr'), meta('l4proto'), pl('th', 'dport')), data: '@v6' } }]),
  rule('dispatch', [{ vmap: { key: cc(meta('l4proto'), pl('th', 'dport')), data: '@any' } }]),
  rule('prerouting', [m({ fib: { result: 'type', flags: ['daddr'] } }, 'local'), { jump: { target: 'dispatch' } }]),
  rule('raw', [m(meta('iifname'), 'lo', '!='), m(pl('ip', 'daddr'), { prefix: { addr: '127.0.0.0', len: 8 } }), { drop: null }]),
  rule('raw', [m(pl('ip', 'saddr'), '@blocked'), { drop: null }]),
  rule('masq', [m({ '&': [meta('mark'), 8192] }, 8192), { mangle: { key: meta('mark'), value: { '^': [meta('mark'), 8192] } } }, { masquerade: null }]),
  { add: el('blocked', ['192.0.2.1', '192.0.2.7']) },
]

const NF4 = m(meta('nfproto'), 'ipv4')
const NF6 = m(meta('nfproto'), 'ipv6')
const POD_P1: NftCommand[] = [
  { add: chain('p1') },
  { flush: chain('p1') },
  rule('p1', [m(pl('ip', 'daddr'), { prefix: { addr: '127.0.0.0', len: 8 } }), { return: null }]),
  rule('p1', [NF4, m(pl('ip', 'saddr'), { prefix: { addr: '10.9.3.4', len: 16 } }), m(meta('iifname'), 'eth*'), m(pl('tcp', 'dport'), 8080),
    m(pl('ip', 'saddr'), { prefix: { addr: '10.0.0.7', len: 24 } }), { mangle: { key: meta('mark'), value: { '|': [meta('mark'), 8192] } } }]),
  rule('p1', [NF4, m(pl('th', 'sport'), { range: [1000, 2000] }), m(pl('tcp', 'dport'), 8080), { dnat: { family: 'ip', addr: '10.0.0.2', port: 80 } }], 'k=tcp/8080 if=eth0 net=n cid=c1'),
  rule('p1', [NF4, m(pl('ip', 'daddr'), '10.1.1.1'), m(pl('udp', 'dport'), 53), { dnat: { family: 'ip', addr: '10.0.0.2', port: 53 } }], 'k=udp/53@10.1.1.1 if=eth0 net=n cid=c1'),
  rule('p1', [NF6, m(pl('ip6', 'saddr'), { prefix: { addr: 'fd00:0:0:0::9', len: 128 } }), m(pl('ip6', 'daddr'), 'FD00:0::1'), m(pl('sctp', 'dport'), 443),
    { dnat: { family: 'ip6', addr: 'fd01::2', port: 443 } }], 'k=sctp/443@[fd00::1] if=eth0 net=n cid=c1'),
  rule('p1', [m(meta('l4proto'), 'tcp'), m(pl('tcp', 'dport'), 22), { dnat: { family: 'ip', addr: '10.0.0.3' } }]),
  { add: el('any', [[cc('tcp', 8080), goto('p1')], [cc('udp', 8080), goto('p1')]]) },
  { add: el('v4', [[cc('10.1.1.1', 'udp', 53), goto('p1')]]) },
  { add: el('v6', [[cc('fd00::1', 'sctp', 443), goto('p1')]]) },
]

/** the owner-checked removal portmap's DEL does */
const RELEASE_P1: NftCommand[] = [
  { add: chain('p1') },
  { add: el('any', [[cc('tcp', 8080), goto('p1')], [cc('udp', 8080), goto('p1')]]) },
  { add: el('v4', [[cc('10.1.1.1', 'udp', 53), goto('p1')]]) },
  { delete: el('any', [cc('tcp', 8080), cc('udp', 8080)]) },
  { delete: el('v4', [cc('10.1.1.1', 'udp', 53)]) },
  { delete: el('v6', [cc('fd00::1', 'sctp', 443)]) },
  { flush: chain('p1') },
  { delete: chain('p1') },
]

// ---- tc / ip commands ---------------------------------------------------------------------------

const tbf = (...opts: string[]): string[] => ['qdisc', 'add', 'dev', 'vh', 'root', 'handle', '1:', 'tbf', ...opts]
const redirect = (prio: string, ...rest: string[]): string[] =>
  ['filter', 'add', 'dev', 'vh', 'ingress', 'prio', prio, ...rest, 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0']

/**
 * settled: the kernel updates operstate (and so RUNNING, printed as the absence of NO-CARRIER)
 * asynchronously after a carrier change (linkwatch, up to a second when the change is not
 * "urgent"); the fake shows the settled state, so link reads wait until LOWER_UP, RUNNING and
 * operstate agree (bounded: 100 reads, 20 ms apart).
 */
const settled = (links: unknown): boolean =>
  !Array.isArray(links) || links.every((l: { flags?: string[]; operstate?: string }) => {
    const flags = l.flags ?? []
    if (!flags.includes('UP')) return true
    const lower = flags.includes('LOWER_UP')
    const running = !flags.includes('NO-CARRIER')
    const operUp = l.operstate === 'UP' || l.operstate === 'UNKNOWN'
    return lower === running && running === operUp
  })

const readSettled = async (read: () => Promise<unknown>): Promise<unknown> => {
  let v = await read()
  for (let i = 0; i < 100 && !settled(v); i++) {
    await new Promise((r) => setTimeout(r, 20))
    v = await read()
  }
  return v
}

/** outcome runs op and records its value, or its failure as {error: reason, stderr} / {error: code}. */
const outcome = async (op: () => Promise<unknown>): Promise<unknown> => {
  try {
    const v = await op()
    return v === undefined ? { ok: true } : { ok: v }
  } catch (err) {
    if (err instanceof HostError) return { error: err.reason, tool: err.tool, stderr: err.stderr }
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') return { error: code }
    return { error: 'thrown', message: String((err as Error).message) }
  }
}

/** runSequence performs every step on host and returns what each answered, in order. */
export const runSequence = async (host: Host, env: Env): Promise<Observation[]> => {
  const out: Observation[] = []
  const step = async (name: string, op: () => Promise<unknown>): Promise<void> => {
    out.push({ step: name, outcome: await outcome(op) })
  }
  const { pod } = env
  const nftList = (...args: string[]) => step(`nft list ${args.join(' ')}`, () => host.nft.list(args))
  const links = (ns: string | undefined, label: string) => step(`ip -d link show (${label})`, () => readSettled(() => host.ip.json(['-d', 'link', 'show'], ns)))
  const link = (dev: string, ns?: string) => step(`ip -d link show dev ${dev}${ns ? ' (pod)' : ''}`, () => readSettled(() => host.ip.json(['-d', 'link', 'show', 'dev', dev], ns)))
  const ip = (cmds: string[][], ns?: string, force = false) =>
    step(`ip ${force ? '-force ' : ''}${cmds.map((c) => c.join(' ')).join(' ; ')}${ns ? ' (pod)' : ''}`, () => host.ip.run(cmds, ns, { continueOnError: force }))
  const tc = (cmds: string[][], ns?: string) => step(`tc ${cmds.map((c) => c.join(' ')).join(' ; ')}${ns ? ' (pod)' : ''}`, () => host.tc.run(cmds, ns))
  const qdiscs = (dev: string, ns?: string) => step(`tc qdisc show dev ${dev}${ns ? ' (pod)' : ''}`, () => host.tc.json(['qdisc', 'show', 'dev', dev], ns))
  const filters = (dev: string, side = 'ingress') => step(`tc filter show dev ${dev} ${side}`, () => host.tc.json(['filter', 'show', 'dev', dev, side]))
  const sysctls = (ns: string | undefined, keys: string[]) => step(`sysctl read ${keys.join(' ')}${ns ? ' (pod)' : ''}`, () => host.sysctl.read(keys, ns))

  // -- nftables: a portmap-like layout, the kernel's refusals, atomic rollback, owner-checked removal
  await step('nft skeleton + pod chain', () => host.nft.apply([...SKELETON, ...POD_P1]))
  await nftList('table', 'inet', 'cc_fake')
  await step('nft EEXIST: element of another chain (batch with adds first)', () => host.nft.apply([{ add: chain('p2') }, rule('p2', [{ accept: null }]), { add: el('any', [[cc('tcp', 8080), goto('p2')]]) }]))
  await step('nft EEXIST: create table', () => host.nft.apply([{ create: { table: { family: 'inet', name: 'cc_fake' } } }]))
  await step('nft EEXIST: create element', () => host.nft.apply([{ create: el('any', [[cc('tcp', 8080), goto('p1')]]) }]))
  await step('nft ENOENT: delete a missing element after an add', () => host.nft.apply([{ add: chain('p3') }, { delete: el('any', [cc('tcp', 9999)]) }]))
  await step('nft ENOENT: delete a missing chain', () => host.nft.apply([{ delete: chain('zz') }]))
  await step('nft ENOENT: goto a missing chain', () => host.nft.apply([{ add: el('any', [[cc('tcp', 1), goto('zz')]]) }]))
  await step('nft EBUSY: delete a chain elements point at', () => host.nft.apply([{ flush: chain('p1') }, { delete: chain('p1') }]))
  await step('nft EOPNOTSUPP: a base chain with another priority', () => host.nft.apply([{ add: chain('prerouting', { type: 'nat', hook: 'prerouting', prio: -50, policy: 'accept' }) }]))
  await step('nft conflicting protocols', () => host.nft.apply([rule('p1', [m(pl('tcp', 'sport'), 1), m(pl('udp', 'dport'), 2), { accept: null }])]))
  await step('nft re-adding what exists is a no-op', () => host.nft.apply([...SKELETON.slice(0, 9), { add: el('any', [[cc('tcp', 8080), goto('p1')]]) }]))
  await nftList('ruleset')
  await nftList('chain', 'inet', 'cc_fake', 'p1')
  await nftList('map', 'inet', 'cc_fake', 'any')
  await nftList('set', 'inet', 'cc_fake', 'blocked')
  await nftList('set', 'inet', 'cc_fake', 'any')
  await nftList('chain', 'inet', 'cc_fake', 'nope')
  await step('nft owner-checked removal of p1', () => host.nft.apply(RELEASE_P1))
  await nftList('table', 'inet', 'cc_fake')
  await step('nft delete the set a rule uses', () => host.nft.apply([{ delete: { set: { ...T, name: 'blocked' } } }]))
  await step('nft flush table', () => host.nft.apply([{ flush: { table: { family: 'inet', name: 'cc_fake' } } }]))
  await nftList('table', 'inet', 'cc_fake')
  await step('nft delete table', () => host.nft.apply([{ delete: { table: { family: 'inet', name: 'cc_fake' } } }]))
  await nftList('ruleset')
  // the firewall's forms: conntrack state, counters, anonymous sets, a bridge-family base chain
  await step('nft firewall-like tables', () => host.nft.apply([
    { add: { table: { family: 'inet', name: 'cc_fw' } } },
    { add: { chain: { family: 'inet', table: 'cc_fw', name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    { add: { chain: { family: 'inet', table: 'cc_fw', name: 'pod' } } },
    { add: { rule: { family: 'inet', table: 'cc_fw', chain: 'fwd', expr: [m({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { counter: null }, { accept: null }] } } },
    { add: { rule: { family: 'inet', table: 'cc_fw', chain: 'fwd', expr: [m({ ct: { key: 'state' } }, 'invalid'), { drop: null }] } } },
    { add: { rule: { family: 'inet', table: 'cc_fw', chain: 'fwd', expr: [m(meta('iifname'), { set: ['cni0', 'cni1'] }), { jump: { target: 'pod' } }] } } },
    { add: { rule: { family: 'inet', table: 'cc_fw', chain: 'pod', expr: [m(meta('mark'), 4096), { counter: null }, { return: null }] } } },
    { add: { table: { family: 'bridge', name: 'cc_fwb' } } },
    { add: { chain: { family: 'bridge', table: 'cc_fwb', name: 'fwd', type: 'filter', hook: 'forward', prio: -200, policy: 'accept' } } },
    { add: { rule: { family: 'bridge', table: 'cc_fwb', chain: 'fwd', expr: [m(meta('iifname'), 'veth*'), m(meta('oifname'), 'veth*'), { drop: null }] } } },
  ]))
  await nftList('ruleset')
  await step('nft delete the firewall-like tables', () => host.nft.apply([{ delete: { table: { family: 'inet', name: 'cc_fw' } } }, { delete: { table: { family: 'bridge', name: 'cc_fwb' } } }]))

  // -- links: the veth pair, tuning's attributes, batches, refusals, ifb and a same-namespace veth
  await links(undefined, 'node')
  await links(pod, 'pod')
  await step('ip addr show dev vh', () => host.ip.json(['addr', 'show', 'dev', 'vh']))
  await step('ip addr show dev nope', () => host.ip.json(['addr', 'show', 'dev', 'nope']))
  await ip([['link', 'set', 'dev', 'eth0', 'mtu', '1400'], ['link', 'set', 'dev', 'eth0', 'address', 'c2:11:22:33:44:55'],
    ['link', 'set', 'dev', 'eth0', 'promisc', 'on'], ['link', 'set', 'dev', 'eth0', 'allmulticast', 'on'], ['link', 'set', 'dev', 'eth0', 'txqueuelen', '0']], pod)
  await link('eth0', pod)
  await ip([['link', 'set', 'dev', 'eth0', 'up']], pod)
  await link('eth0', pod)
  await link('vh')
  await ip([['link', 'set', 'vh', 'up']])
  await link('eth0', pod)
  await link('vh')
  await ip([['link', 'set', 'dev', 'eth0', 'mtu', '1300'], ['link', 'set', 'dev', 'nope', 'up'], ['link', 'set', 'dev', 'eth0', 'mtu', '1200']], pod)
  await link('eth0', pod)
  await ip([['link', 'set', 'dev', 'eth0', 'mtu', '1300'], ['link', 'set', 'dev', 'nope', 'up'], ['link', 'set', 'dev', 'eth0', 'mtu', '1200']], pod, true)
  await link('eth0', pod)
  await ip([['link', 'set', 'dev', 'eth0', 'mtu', '70000']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'mtu', '60']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'address', '01:00:00:00:00:01']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'address', 'zz']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'promisc', 'maybe']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'promisc', 'off'], ['link', 'set', 'dev', 'eth0', 'allmulticast', 'off'], ['link', 'set', 'dev', 'eth0', 'txqueuelen', '1000']], pod)
  await link('eth0', pod)
  await link('nope')
  await step('ip route get 10.200.0.5', () => host.ip.json(['route', 'get', '10.200.0.5']))
  await step('ip route get 192.0.2.1', () => host.ip.json(['route', 'get', '192.0.2.1']))
  await step('sysctl write default arp_filter=1', () => host.sysctl.write([['net/ipv4/conf/default/arp_filter', '1']]))
  await ip([['link', 'add', 'ifb0', 'type', 'ifb'], ['link', 'set', 'dev', 'ifb0', 'up']])
  await link('ifb0')
  await sysctls(undefined, ['net/ipv4/conf/ifb0/arp_filter', 'net/ipv6/conf/ifb0/disable_ipv6'])
  await ip([['link', 'add', 'name', 'ifb0', 'type', 'ifb']])
  await ip([['link', 'add', 'name', 's1', 'type', 'veth', 'peer', 'name', 's2']])
  await link('s1')
  await ip([['link', 'set', 'dev', 's2', 'up'], ['link', 'set', 'dev', 's1', 'up']])
  await link('s1')

  // -- tc: tbf in both forms, clsact, u32 + mirred redirect to the ifb, deletions and refusals
  await qdiscs('vh')
  await tc([tbf('rate', '1mbit', 'burst', '32kb', 'latency', '25ms')])
  await qdiscs('vh')
  await link('vh')
  await tc([tbf('rate', '1mbit', 'burst', '32kb', 'latency', '25ms')])
  await tc([['qdisc', 'replace', 'dev', 'vh', 'root', 'handle', '1:', 'tbf', 'rate', '123456789bit', 'burst', '7777', 'latency', '333ms']])
  await qdiscs('vh')
  await tc([['qdisc', 'replace', 'dev', 'vh', 'root', 'handle', '1:', 'tbf', 'rate', '3kbps', 'burst', '1k', 'limit', '2k']])
  await qdiscs('vh')
  await tc([['qdisc', 'del', 'dev', 'vh', 'root', 'handle', '2:']])
  await tc([['qdisc', 'add', 'dev', 'vh', 'root', 'tbf', 'rate', '1mbit', 'latency', '10ms']])
  await tc([['qdisc', 'add', 'dev', 'vh', 'clsact']])
  await tc([['qdisc', 'add', 'dev', 'vh', 'ingress']])
  await qdiscs('vh')
  await filters('vh')
  await tc([redirect('1', 'handle', '800::1')])
  await tc([['filter', 'add', 'dev', 'vh', 'ingress', 'prio', '3', 'protocol', 'all', 'u32', 'match', 'ip', 'dst', '10.0.0.0/8', 'action', 'mirred', 'egress', 'mirror', 'dev', 's2']])
  await filters('vh')
  await tc([redirect('1', 'handle', '800::1')])
  await tc([redirect('1', 'handle', '1')])
  await tc([['filter', 'add', 'dev', 'vh', 'ingress', 'prio', '1', 'protocol', 'ip', 'u32', 'match', 'u32', '0', '0']])
  await tc([['filter', 'add', 'dev', 'vh', 'ingress', 'prio', '5', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'nope']])
  await tc([['filter', 'del', 'dev', 'vh', 'ingress', 'prio', '1']])
  await tc([['filter', 'del', 'dev', 'vh', 'ingress', 'prio', '7']])
  await tc([redirect('2')])
  await filters('vh')
  await filters('vh', 'egress')
  await ip([['link', 'del', 'ifb0']])
  await filters('vh')
  await sysctls(undefined, ['net/ipv4/conf/ifb0/arp_filter'])
  await tc([['filter', 'add', 'dev', 'eth0', 'ingress', 'prio', '1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0']], pod)
  await tc([['qdisc', 'del', 'dev', 'vh', 'root']])
  await qdiscs('vh')
  await tc([['qdisc', 'del', 'dev', 'vh', 'root']])
  await tc([['qdisc', 'del', 'dev', 'vh', 'clsact']])
  await filters('vh')
  await tc([['qdisc', 'del', 'dev', 'vh', 'clsact']])
  await tc([['qdisc', 'del', 'dev', 'eth0', 'clsact']], pod)
  await tc([['qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'tbf', 'rate', '2mbit', 'burst', '16kb', 'latency', '50ms'], ['qdisc', 'add', 'dev', 'eth0', 'clsact']], pod)
  await ip([['link', 'set', 'dev', 'eth0', 'down']], pod)
  await qdiscs('eth0', pod)
  await tc([['qdisc', 'del', 'dev', 'eth0', 'root']], pod)
  await qdiscs('eth0', pod)
  await link('eth0', pod)
  await qdiscs('nope')

  // -- the bandwidth plugin's forms: an ifb made with its MTU, MAC and queue length, a replaced tbf
  //    with a handle and a rate in bytes/s, the redirect filter by pref, and the teardown
  await ip([['link', 'add', 'name', 'ifb1', 'mtu', '1400', 'address', '02:aa:bb:cc:dd:ee', 'txqueuelen', '0', 'type', 'ifb'], ['link', 'set', 'dev', 'ifb1', 'up']])
  await link('ifb1')
  await qdiscs('ifb1')
  await tc([['qdisc', 'replace', 'dev', 'ifb1', 'root', 'handle', 'bd00:', 'tbf', 'rate', '125000bps', 'burst', '15000', 'limit', '21250'],
    ['qdisc', 'add', 'dev', 'vh', 'clsact'],
    ['filter', 'add', 'dev', 'vh', 'ingress', 'pref', '49', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb1']])
  await qdiscs('ifb1')
  await filters('vh')
  await tc([['filter', 'del', 'dev', 'vh', 'ingress', 'pref', '49'], ['qdisc', 'del', 'dev', 'vh', 'clsact'], ['qdisc', 'del', 'dev', 'ifb1', 'root']])
  await qdiscs('ifb1')
  await ip([['link', 'del', 'dev', 'ifb1']])
  await qdiscs('vh')

  // -- sysctls: existing keys only, a failing entry does not stop the others, integers checked
  await sysctls(undefined, SYSCTL_KEYS)
  await sysctls(pod, SYSCTL_KEYS)
  await step('sysctl write node', () => host.sysctl.write([['net/ipv4/conf/vh/arp_filter', '1'], ['net/core/somaxconn', '1024']]))
  await step('sysctl write pod with a missing key', () => host.sysctl.write([['net/ipv4/nope', '1'], ['net/core/somaxconn', '77']], pod))
  await step('sysctl write pod a non-integer', () => host.sysctl.write([['net/ipv4/conf/eth0/arp_filter', 'yes']], pod))
  await sysctls(undefined, SYSCTL_KEYS)
  await sysctls(pod, [...SYSCTL_KEYS, 'net/ipv4/nope'])
  await ip([['link', 'del', 's1']])
  await links(undefined, 'node')

  // -- files: parents created and kept, list shows directories
  const d = env.dir
  await step('files write', async () => {
    await host.files.write(`${d}/a/b/f1`, 'one', 0o600)
    await host.files.write(`${d}/a/f2`, 'two', 0o600)
  })
  await step('files list dir', () => host.files.list(d))
  await step('files list a', () => host.files.list(`${d}/a`))
  await step('files read', () => host.files.read(`${d}/a/b/f1`))
  await step('files remove twice', async () => {
    await host.files.remove(`${d}/a/b/f1`)
    await host.files.remove(`${d}/a/b/f1`)
  })
  await step('files list a after remove', () => host.files.list(`${d}/a`))
  await step('files list b after remove', () => host.files.list(`${d}/a/b`))
  await step('files read missing', () => host.files.read(`${d}/a/b/f1`))
  await step('files list missing', () => host.files.list(`${d}/zz`))
  await step('files write under a file', () => host.files.write(`${d}/a/f2/x`, 'x', 0o600))
  return out
}
