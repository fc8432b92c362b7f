// What the semantic fake showed about the plugins (issue #9), as runnable repros. Each runs the
// scenario and asserts the behaviour that should hold as a `todo` (it fails today; tap reports it
// without failing the run), until the plugin changes. The fake's answers here were checked on the real kernel
// (test/e2e/fake-vs-real.test.ts and the notes in each test).
import t from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'
import { call } from './lib.js'

const POD = '/var/run/netns/finding-pod'
const prev = (ifname: string) => ({ cniVersion: '1.0.0', interfaces: [{ name: ifname, sandbox: POD }], ips: [{ address: '10.0.0.2/24', interface: 0 }] })
const env = (verb: string, ifname = 'eth0') => ({ CNI_COMMAND: verb, CNI_CONTAINERID: 'c1', CNI_NETNS: POD, CNI_IFNAME: ifname })

t.test('portmap: a transport selector in conditions that contradicts a mapping\'s protocol is refused as config (code 7)', async (t) => {
  const todo = 'meta-plugins/portmap/conditions.ts accepts `tcp sport ...` with a udp mapping; the rule then has tcp and udp payload matches, nft refuses the whole batch ("conflicting protocols specified: tcp vs. udp", seen on nft 1.0.6) and ADD fails with code 999 after writing its record'
  const host = createSemanticHost()
  host.addNamespace(POD)
  const conf = {
    cniVersion: '1.0.0', name: 'n', type: 'portmap', conditionsV4: ['tcp sport 1000-2000'],
    runtimeConfig: { portMappings: [{ hostPort: 53, containerPort: 53, protocol: 'udp' }] }, prevResult: prev('eth0'),
  }
  const r = await call(portmapPlugin, host, env('ADD'), conf)
  t.equal(r.out?.code, 7, `refused before any effect (got ${JSON.stringify(r.out)})`, { todo })
  t.same(host.calls, [], 'nothing written', { todo })
})

t.test('portmap: ADD then DEL on a ptp-style node leaves no per-pod directory behind', async (t) => {
  const todo = 'meta-plugins/portmap/state.ts keeps route_localnet markers in <stateDir>/localnet/<host interface>/; the FileHost seam cannot remove directories, so with one host veth per pod (ptp) an empty directory per pod ever run accumulates in /run'
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(undefined, { 'net/ipv4/conf/default/route_localnet': '0' })
  host.addVethPair({ ns: undefined, name: 'veth1a2b3c4d', up: true }, { ns: POD, name: 'eth0', up: true })
  host.addRoute(undefined, { dst: '10.0.0.2/32', dev: 'veth1a2b3c4d' })
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'portmap', runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] }, prevResult: prev('eth0') }
  t.equal((await call(portmapPlugin, host, env('ADD'), conf)).code, 0)
  t.equal(host.sysctlValue(undefined, 'net/ipv4/conf/veth1a2b3c4d/route_localnet'), '1', 'route_localnet on for the pod\'s host veth')
  t.equal((await call(portmapPlugin, host, env('DEL'), conf)).code, 0)
  t.same(await host.files.list('/run/cni/portmap/localnet'), [], 'no directory per host interface left', { todo })
})

t.test('tuning: an MTU below 1280 does not lose the interface\'s IPv6 settings', async (t) => {
  const todo = 'the kernel drops an interface\'s IPv6 state (and /proc/sys/net/ipv6/conf/IF) below MTU 1280 and re-creates it from the defaults above (checked on kernel 6.18 by test/e2e/fake-vs-real.test.ts); tuning ADD with mtu < 1280 then "succeeds" although a configured net.ipv6.conf.IFNAME.* sysctl is gone (CHECK says code 7 "does not exist"), and DEL leaves the unrecorded per-interface IPv6 sysctls at their defaults'
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(POD, { 'net/ipv6/conf/default/accept_ra': '1', 'net/ipv6/conf/default/autoconf': '1' })
  host.addLink(POD, { name: 'eth0', kind: 'device', up: true })
  host.setSysctls(POD, { 'net/ipv6/conf/eth0/accept_ra': '2', 'net/ipv6/conf/eth0/autoconf': '0' })
  const conf = { cniVersion: '1.0.0', name: 'n', type: 'tuning', mtu: 1200, sysctl: { 'net.ipv6.conf.IFNAME.accept_ra': '0' } }
  const add = await call(tuningPlugin, host, env('ADD'), { ...conf, prevResult: prev('eth0') })
  t.equal(add.code, 0)
  const check = await call(tuningPlugin, host, env('CHECK'), { ...conf, prevResult: add.out })
  t.equal(check.code, 0, `CHECK after ADD (got ${JSON.stringify(check.out)})`, { todo })
  t.equal((await call(tuningPlugin, host, env('DEL'), conf)).code, 0)
  t.equal(host.sysctlValue(POD, 'net/ipv6/conf/eth0/autoconf'), '0', 'an unconfigured per-interface IPv6 sysctl as before ADD', { todo })
})
