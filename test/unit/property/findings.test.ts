// What the semantic fake's property tests found in the plugins (issue #9), kept as regression
// tests now that each is fixed or documented. The fake's answers here were checked on the real
// kernel (test/e2e/fake-vs-real.test.ts and the notes in each test).
import t from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'
import { call } from './lib.js'

const POD = '/var/run/netns/finding-pod'
const prev = (ifname: string) => ({ cniVersion: '1.0.0', interfaces: [{ name: ifname, sandbox: POD }], ips: [{ address: '10.0.0.2/24', interface: 0 }] })
const env = (verb: string, ifname = 'eth0') => ({ CNI_COMMAND: verb, CNI_CONTAINERID: 'c1', CNI_NETNS: POD, CNI_IFNAME: ifname })

t.test('portmap: a transport selector in conditions that contradicts a mapping\'s protocol is refused as config (code 7)', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  const conf = {
    cniVersion: '1.0.0', name: 'n', type: 'portmap', conditionsV4: ['tcp sport 1000-2000'],
    runtimeConfig: { portMappings: [{ hostPort: 53, containerPort: 53, protocol: 'udp' }] }, prevResult: prev('eth0'),
  }
  const r = await call(portmapPlugin, host, env('ADD'), conf)
  t.equal(r.out?.code, 7, `refused before any effect (got ${JSON.stringify(r.out)})`)
  t.same(host.calls, [], 'nothing written')
})

t.test('portmap: ADD then DEL on a ptp-style node leaves no per-pod directory behind', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(undefined, { 'net/ipv4/conf/default/route_localnet': '0' })
  host.addVethPair({ ns: undefined, name: 'veth1a2b3c4d', up: true }, { ns: POD, name: 'eth0', up: true })
  host.addRoute(undefined, { dst: '10.0.0.2/32', dev: 'veth1a2b3c4d' })
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'portmap', runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] }, prevResult: prev('eth0') }
  t.equal((await call(portmapPlugin, host, env('ADD'), conf)).code, 0)
  t.equal(host.sysctlValue(undefined, 'net/ipv4/conf/veth1a2b3c4d/route_localnet'), '1', 'route_localnet on for the pod\'s host veth')
  t.equal((await call(portmapPlugin, host, env('DEL'), conf)).code, 0)
  t.same(await host.files.list('/run/cni/portmap/localnet'), [], 'no directory per host interface left')
})

t.test('tuning: an MTU below 1280 with IPv6 interface sysctls is refused before any change', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.addLink(POD, { name: 'eth0', kind: 'device', up: true })
  host.setSysctls(POD, { 'net/ipv6/conf/eth0/accept_ra': '2' })
  const before = host.snapshot()
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'tuning', mtu: 1200, sysctl: { 'net.ipv6.conf.IFNAME.accept_ra': '0' } }
  const add = await call(tuningPlugin, host, env('ADD'), { ...conf, prevResult: prev('eth0') })
  t.equal(add.out?.code, 7, `code 7 (got ${JSON.stringify(add.out)})`)
  t.match(add.out?.msg + ' ' + add.out?.details, /below IPv6's minimum of 1280/)
  t.same(host.snapshot(), before, 'nothing changed')
})

// Found by the e2e fuzz (seed 1411806183): an MTU below 1280 took the pod's IPv6 address away
// for good (the kernel removes it; DEL's MTU restore brings back only a link-local address).
t.test('tuning: an MTU below 1280 on an interface with an IPv6 address is refused before any change', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.addLink(POD, { name: 'eth0', kind: 'device', up: true })
  host.addAddress(POD, 'eth0', '10.0.0.2/24')
  host.addAddress(POD, 'eth0', 'fd00:99::2/64')
  const before = host.snapshot()
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'tuning', mtu: 1200 }
  const add = await call(tuningPlugin, host, env('ADD'), { ...conf, prevResult: prev('eth0') })
  t.equal(add.out?.code, 7, `code 7 (got ${JSON.stringify(add.out)})`)
  t.match(add.out?.msg + ' ' + add.out?.details, /has the IPv6 address fd00:99::2\/64: the kernel would remove it/)
  t.same(host.snapshot(), before, 'nothing changed')
  // an MTU already below 1280 holds no IPv6 state to lose: a lower one is set as asked
  host.addLink(POD, { name: 'net1', kind: 'device', up: true, mtu: 1200 })
  const lower = await call(tuningPlugin, host, env('ADD', 'net1'), { ...conf, mtu: 1000, prevResult: prev('net1') })
  t.equal(lower.code, 0, JSON.stringify(lower.out))
})

// Found by the e2e fuzz (seeds 1806535278, 279277810, 2108697567): a MAC on lo (00:00:00:00:00:00)
// could be changed but never set back (the kernel takes no all-zero address).
t.test('tuning: a MAC change DEL could not undo (lo\'s all-zero original) is refused before any change', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  const before = host.snapshot()
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'tuning', mac: 'c2:11:22:33:44:55' }
  const add = await call(tuningPlugin, host, env('ADD', 'lo'), { ...conf, prevResult: prev('lo') })
  t.equal(add.out?.code, 7, `code 7 (got ${JSON.stringify(add.out)})`)
  t.match(add.out?.msg + ' ' + add.out?.details, /lo's mac "00:00:00:00:00:00" is all zeros: once changed it could not be set back/)
  t.same(host.snapshot(), before, 'nothing changed')
  // the other attributes of lo are restorable: an MTU is set as asked
  const mtu = await call(tuningPlugin, host, env('ADD', 'lo'), { cniVersion: '1.0.0', name: 'n', type: 'tuning', mtu: 9000, prevResult: prev('lo') })
  t.equal(mtu.code, 0, JSON.stringify(mtu.out))
})

// Found by the e2e fuzz (seed 946975859): iproute2 parses txqueuelen as an int, so a larger one
// failed the whole `ip -batch` after the MAC had changed.
t.test('tuning: a txQLen above 2^31-1 is refused as config (code 7) before any change', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.addLink(POD, { name: 'eth0', kind: 'device', up: true })
  const before = host.snapshot()
  for (const txQLen of [2 ** 31, 2 ** 32 - 1]) {
    const add = await call(tuningPlugin, host, env('ADD'), { cniVersion: '1.0.0', name: 'n', type: 'tuning', mac: 'c2:11:22:33:44:55', txQLen, prevResult: prev('eth0') })
    t.equal(add.out?.code, 7, `${txQLen}: code 7 (got ${JSON.stringify(add.out)})`)
  }
  t.same(host.snapshot(), before, 'nothing changed')
  const max = await call(tuningPlugin, host, env('ADD'), { cniVersion: '1.0.0', name: 'n', type: 'tuning', txQLen: 2 ** 31 - 1, prevResult: prev('eth0') })
  t.equal(max.code, 0, `2^31-1 is set (${JSON.stringify(max.out)})`)
})

// A documented limit (meta-plugins/tuning/README.md): the kernel drops an interface's IPv6 state
// below MTU 1280 and re-creates it from the defaults above (kernel 6.18, fake-vs-real.test.ts);
// tuning records only what it configures, so DEL brings the MTU back and IPv6 comes back at defaults.
t.test('tuning: an MTU below 1280 alone: DEL restores the MTU, the kernel re-creates IPv6 settings from defaults', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(POD, { 'net/ipv6/conf/default/accept_ra': '1', 'net/ipv6/conf/default/autoconf': '1' })
  host.addLink(POD, { name: 'eth0', kind: 'device', up: true })
  host.setSysctls(POD, { 'net/ipv6/conf/eth0/accept_ra': '2', 'net/ipv6/conf/eth0/autoconf': '0' })
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'tuning', mtu: 1200 }
  t.equal((await call(tuningPlugin, host, env('ADD'), { ...conf, prevResult: prev('eth0') })).code, 0)
  t.equal((await call(tuningPlugin, host, env('DEL'), conf)).code, 0)
  t.equal(host.sysctlValue(POD, 'net/ipv6/conf/eth0/autoconf'), '1', 'an unconfigured per-interface IPv6 sysctl is back at the default, not its old 0')
})
