// The semantic fake's links: `ip -j -d link show` shapes, `ip link set/add/del`, batch semantics,
// per-interface sysctls, routes and namespaces (values as iproute2 6.1 prints them on this kernel).
import t from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { HostError } from '../../../src/host/types.js'

const POD = '/run/netns/pod'

const world = () => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(undefined, { 'net/ipv4/conf/default/arp_filter': '0', 'net/ipv6/conf/default/disable_ipv6': '0' })
  host.addVethPair({ ns: undefined, name: 'vh', address: 'aa:00:00:00:00:01' }, { ns: POD, name: 'eth0', address: 'aa:00:00:00:00:02' })
  return host
}

const show = async (host: ReturnType<typeof world>, name: string, ns?: string): Promise<any> =>
  ((await host.ip.json<any[]>(['-d', 'link', 'show', 'dev', name], ns))[0])

t.test('a veth pair across namespaces: link_index and link_netnsid; carrier when both ends are up', async (t) => {
  const host = world()
  t.same(await show(host, 'eth0', POD), {
    ifindex: 2, link_index: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, qdisc: 'noop', operstate: 'DOWN',
    linkmode: 'DEFAULT', group: 'default', txqlen: 1000, link_type: 'ether', address: 'aa:00:00:00:00:02', broadcast: 'ff:ff:ff:ff:ff:ff',
    link_netnsid: 0, promiscuity: 0, allmulti: 0, min_mtu: 68, max_mtu: 65535, linkinfo: { info_kind: 'veth' },
  })
  await host.ip.run([['link', 'set', 'dev', 'eth0', 'up']], POD)
  t.match(await show(host, 'eth0', POD), { flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], operstate: 'DOWN', qdisc: 'noqueue' },
    'both ends are ifindex 2: the kernel sees no lower device and says DOWN')
  await host.ip.run([['link', 'set', 'vh', 'up']])
  t.match(await show(host, 'eth0', POD), { flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP' })
  const all = await host.ip.json<any[]>(['link', 'show'])
  t.same(all.map((l) => l.ifname), ['lo', 'vh'], 'the own namespace: lo and the host end, by ifindex')
  t.notOk('promiscuity' in (all[1] as object), 'no details without -d')
})

t.test('a veth pair in one namespace: `link` names the peer, M-DOWN while it is down', async (t) => {
  const host = createSemanticHost()
  await host.ip.run([['link', 'add', 'name', 's1', 'type', 'veth', 'peer', 'name', 's2']])
  t.match(await show(host, 's1'), { link: 's2', flags: ['BROADCAST', 'MULTICAST', 'M-DOWN'] })
  await host.ip.run([['link', 'set', 'dev', 's1', 'up']])
  t.match(await show(host, 's1'), { flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], operstate: 'LOWERLAYERDOWN' })
  t.notOk('link_netnsid' in (await show(host, 's1')))
  await host.ip.run([['link', 'set', 'dev', 's2', 'up'], ['link', 'set', 'dev', 's1', 'up']])
  t.match(await show(host, 's1'), { flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] })
  await host.ip.run([['link', 'del', 's2']])
  t.same((await host.ip.json<any[]>(['link', 'show'])).map((l) => l.ifname), ['lo'], 'deleting one end deletes both')
})

t.test('link set: every attribute tuning and bandwidth use, and the kernel\'s refusals', async (t) => {
  const host = world()
  await host.ip.run([
    ['link', 'set', 'dev', 'eth0', 'mtu', '9000'], ['link', 'set', 'dev', 'eth0', 'address', 'C2:11:22:33:44:55'],
    ['link', 'set', 'dev', 'eth0', 'promisc', 'on'], ['link', 'set', 'dev', 'eth0', 'allmulticast', 'on'],
    ['link', 'set', 'dev', 'eth0', 'txqueuelen', '0'],
  ], POD)
  const l = await show(host, 'eth0', POD)
  t.match(l, { mtu: 9000, address: 'c2:11:22:33:44:55', flags: ['BROADCAST', 'MULTICAST', 'ALLMULTI', 'PROMISC'], promiscuity: 1, allmulti: 1 })
  t.notOk('txqlen' in l, 'no txqlen key when it is 0')
  const refused = async (cmd: string[], text: RegExp, reason: HostError['reason'] = 'other') => {
    const before = host.snapshot()
    const err = await host.ip.run([cmd], POD).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof HostError, cmd.join(' '))
    t.match((err as HostError).stderr, text)
    t.equal((err as HostError).reason, reason)
    t.same(host.snapshot(), before, 'nothing changed')
  }
  await refused(['link', 'set', 'dev', 'eth0', 'mtu', '70000'], /^Error: mtu greater than device maximum\.\n$/)
  await refused(['link', 'set', 'dev', 'eth0', 'mtu', '60'], /^Error: mtu less than device minimum\.\n$/)
  await refused(['link', 'set', 'dev', 'nope', 'up'], /^Cannot find device "nope"\n$/, 'not-found')
  await refused(['link', 'set', 'dev', 'eth0', 'address', '01:00:00:00:00:01'], /Cannot assign requested address/)
  await refused(['link', 'set', 'dev', 'eth0', 'address', 'zz'], /"zz" is invalid lladdr/)
  await refused(['link', 'set', 'dev', 'eth0', 'promisc', 'maybe'], /must be "on" or "off", not "maybe"/)
  await refused(['link', 'set', 'dev', 'eth0', 'mtu', '1400', 'address', '01:00:00:00:00:01'], /Cannot assign/)
  t.equal((await show(host, 'eth0', POD)).mtu, 9000, 'a refused command changes none of its attributes')
  await t.rejects(host.ip.run([['link', 'set', 'dev', 'eth0', 'name', 'x']], POD), /unsupported/, 'forms the fake does not model throw')
})

t.test('batches: stop at the first failure naming its line; continueOnError runs everything', async (t) => {
  const host = world()
  const cmds = [['link', 'set', 'dev', 'eth0', 'mtu', '1400'], ['link', 'set', 'dev', 'nope', 'up'], ['link', 'set', 'dev', 'eth0', 'mtu', '1300']]
  const err = await host.ip.run(cmds, POD).catch((e: unknown) => e) as HostError
  t.same(err.args, ['-batch', '-'])
  t.equal(err.stderr, 'Cannot find device "nope"\nCommand failed -:2\n')
  t.equal((await show(host, 'eth0', POD)).mtu, 1400, 'the line before ran, the one after did not')
  const forced = await host.ip.run(cmds, POD, { continueOnError: true }).catch((e: unknown) => e) as HostError
  t.same(forced.args, ['-force', '-batch', '-'])
  t.match(forced.stderr, /Command failed -:2/)
  t.equal((await show(host, 'eth0', POD)).mtu, 1300, 'with -force the rest ran')
  t.equal(host.calls.length, 5, 'each line that ran is a call (2 until the failure, then 3 with -force)')
  await t.rejects(host.ip.run([['link', 'set', 'dev', 'eth0', 'alias', 'a b'], ['link', 'set', 'dev', 'eth0', 'up']], POD), /not batch-safe/)
})

t.test('ifb and bridge: add, File exists, del; a new link copies conf/default sysctls, a deleted one takes its own', async (t) => {
  const host = world()
  await host.ip.run([['link', 'add', 'ifb0', 'type', 'ifb'], ['link', 'set', 'dev', 'ifb0', 'up']])
  t.match(await show(host, 'ifb0'), {
    ifindex: 3, flags: ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'], qdisc: 'pfifo_fast', operstate: 'UNKNOWN', txqlen: 32,
    min_mtu: 0, max_mtu: 0, linkinfo: { info_kind: 'ifb' },
  })
  t.same(await host.sysctl.read(['net/ipv4/conf/ifb0/arp_filter', 'net/ipv6/conf/ifb0/disable_ipv6']), ['0', '0'])
  const dup = await host.ip.run([['link', 'add', 'name', 'ifb0', 'type', 'ifb']]).catch((e: unknown) => e) as HostError
  t.equal(dup.reason, 'exists')
  await host.ip.run([['link', 'add', 'dev', 'br0', 'mtu', '1400', 'type', 'bridge']])
  t.match(await show(host, 'br0'), { mtu: 1400, linkinfo: { info_kind: 'bridge' } })
  await host.ip.run([['link', 'del', 'dev', 'ifb0']])
  t.same(await host.sysctl.read(['net/ipv4/conf/ifb0/arp_filter']), [undefined], 'its sysctls went with it')
  const gone = await host.ip.json(['link', 'show', 'dev', 'ifb0']).catch((e: unknown) => e) as HostError
  t.equal(gone.stderr, 'Device "ifb0" does not exist.\n')
  t.equal(gone.reason, 'not-found')
  await host.ip.run([['link', 'add', 'ifb1', 'type', 'ifb']])
  t.equal((await show(host, 'ifb1')).ifindex, 5, 'ifindexes are not reused right away')
})

t.test('an MTU below 1280 takes the interface\'s IPv6 sysctls away; back above, they return from the defaults', async (t) => {
  const host = world()
  host.setSysctls(POD, { 'net/ipv6/conf/default/disable_ipv6': '0', 'net/ipv6/conf/eth0/disable_ipv6': '1', 'net/ipv4/conf/eth0/arp_filter': '1' })
  await host.ip.run([['link', 'set', 'dev', 'eth0', 'mtu', '1200']], POD)
  t.same(await host.sysctl.read(['net/ipv6/conf/eth0/disable_ipv6', 'net/ipv4/conf/eth0/arp_filter'], POD), [undefined, '1'])
  await host.ip.run([['link', 'set', 'dev', 'eth0', 'mtu', '1500']], POD)
  t.same(await host.sysctl.read(['net/ipv6/conf/eth0/disable_ipv6'], POD), ['0'], 'the default, not the old value')
})

t.test('addr show: the link fields without linkmode, then the seeded addresses', async (t) => {
  const host = world()
  host.addAddress(undefined, 'vh', '10.7.0.1/24')
  host.addAddress(undefined, 'vh', 'FD07:0::1/64')
  const [vh] = await host.ip.json<any[]>(['addr', 'show', 'dev', 'vh'])
  t.notOk('linkmode' in vh)
  t.same(vh.addr_info, [
    { family: 'inet', local: '10.7.0.1', prefixlen: 24, scope: 'global', label: 'vh', valid_life_time: 4294967295, preferred_life_time: 4294967295 },
    { family: 'inet6', local: 'fd07::1', prefixlen: 64, scope: 'global', tentative: true, valid_life_time: 4294967295, preferred_life_time: 4294967295 },
  ])
  const missing = await host.ip.json(['addr', 'show', 'dev', 'kube-ipvs0']).catch((e: unknown) => e)
  t.equal((missing as HostError).reason, 'not-found')
})

t.test('route get: longest prefix, unreachable otherwise', async (t) => {
  const host = world()
  host.addRoute(undefined, { dst: '10.0.0.0/16', dev: 'vh' })
  host.addRoute(undefined, { dst: '10.0.1.0/24', dev: 'lo', prefsrc: '10.0.1.1' })
  host.addRoute(undefined, { dst: 'fd00::/64', dev: 'vh' })
  t.same(await host.ip.json(['route', 'get', '10.0.1.5']), [{ dst: '10.0.1.5', dev: 'lo', prefsrc: '10.0.1.1', flags: [], uid: 0, cache: [] }])
  t.match(await host.ip.json(['route', 'get', '10.0.2.5']), [{ dev: 'vh' }])
  t.match(await host.ip.json(['route', 'get', 'fd00::9']), [{ dev: 'vh' }])
  await t.rejects(host.ip.json(['route', 'get', '8.8.8.8']), /Network is unreachable/)
  await host.ip.run([['link', 'del', 'vh']])
  await t.rejects(host.ip.json(['route', 'get', '10.0.2.5']), /unreachable/, 'routes go with their device')
})

t.test('namespaces: a missing one fails the call as nsenter does; exists() knows paths only', async (t) => {
  const host = world()
  t.equal(await host.netns.exists(POD), true)
  t.equal(await host.netns.exists(''), false)
  host.removeNamespace(POD)
  t.equal(await host.netns.exists(POD), false)
  const err = await host.ip.run([['link', 'set', 'dev', 'eth0', 'up']], POD).catch((e: unknown) => e) as HostError
  t.match(err.stderr, /nsenter: cannot open \/run\/netns\/pod: No such file or directory/)
  t.equal(err.reason, 'not-found')
  await t.rejects(host.sysctl.read(['net/core/somaxconn'], POD), /nsenter/)
})
