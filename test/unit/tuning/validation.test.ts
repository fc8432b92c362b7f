// Bad input is refused with a CNI error before the host is read or written: path-traversal sysctl
// keys, duplicates (also case variants of the struct keys and inside args.cni.sysctl), values,
// MACs, MTUs, data dirs, CNI_ARGS, and a missing prevResult.
import t, { type Test } from 'tap'
import { call, conf, tuningHost } from './helpers.js'

const refused = async (t: Test, name: string, stdin: object | string, code: number, msg: RegExp, opts = {}) =>
  t.test(name, async (t) => {
    const host = tuningHost()
    const r = await call(host, 'ADD', stdin, opts)
    t.equal(r.code, 1, 'non-zero exit')
    t.equal(r.out.code, code, `code ${code}: ${r.stdout}`)
    t.match(`${r.out.msg} ${r.out.details ?? ''}`, msg)
    t.notMatch(r.stdout, /\n\s+at /, 'no stack trace')
    t.same(host.calls, [], 'no host change')
    t.same(host.reads, [], 'no host read')
  })

for (const key of ['net/../kernel/hostname', 'net.ipv4.conf.eth0/../../../../kernel/hostname', 'kernel.hostname',
  'net..core.somaxconn', 'net', 'net.core.somaxconn\u0000', '.net.core', 'net.core.some thing', 'NET.core.somaxconn', 'net.core.*']) {
  void refused(t, `sysctl key ${JSON.stringify(key)}`, conf('1.0.0', { sysctl: { [key]: '1' } }), 7, /invalid net sysctl key/)
  void refused(t, `args.cni.sysctl key ${JSON.stringify(key)}`, conf('1.0.0', { args: { cni: { sysctl: { [key]: '1' } } } }), 7, /invalid net sysctl key/)
}

void refused(t, 'IFNAME substituted with an interface name /proc/sys paths cannot hold',
  conf('1.0.0', { sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1' } }), 7, /invalid net sysctl key/, { ifname: 'eth@0' })

for (const value of ['1\n', '1\n0', 'a\u0000', '']) {
  void refused(t, `sysctl value ${JSON.stringify(value)}`, conf('1.0.0', { sysctl: { 'net.core.somaxconn': value } }), 7, /invalid value for sysctl/)
}

const dupe = (raw: string): string => raw
void refused(t, 'duplicate key in args.cni.sysctl', dupe(JSON.stringify(conf('1.0.0', { args: { cni: { sysctl: { 'net.core.somaxconn': '1' } } } }))
  .replace('{"net.core.somaxconn":"1"}', '{"net.core.somaxconn":"1", "net.core.somaxconn" : "2"}')), 7, /duplicated/)
void refused(t, 'duplicate key with escapes', dupe(JSON.stringify(conf('1.0.0', { sysctl: { 'net.core.somaxconn': '1' } }))
  .replace('{"net.core.somaxconn":"1"}', '{"net.core.somaxconn":"1","net.core.soma\\u0078conn":"2"}')), 7, /duplicated/)
void refused(t, 'sysctl twice at the top level in different case', dupe(JSON.stringify(conf('1.0.0', { sysctl: { 'net.core.somaxconn': '1' } }))
  .replace('"sysctl":', '"Sysctl":{"net.core.somaxconn":"3"},"sysctl":')), 7, /duplicated/)
void refused(t, 'two keys naming the same file', conf('1.0.0', { sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1', 'net.ipv4.conf.dummy0.arp_filter': '0' } }), 7, /duplicated/)

for (const mac of ['c2:11:22:33:44', 'zz:11:22:33:44:55', 'c2:11-22:33:44:55', '01:00:5e:00:00:01', '00:00:00:00:00:00', 'c2:11:22:33:44:55:66:77']) {
  void refused(t, `mac ${mac}`, conf('1.0.0', { mac }), 7, /MAC/)
}
void refused(t, 'runtimeConfig mac that is bad', conf('1.0.0', { runtimeConfig: { mac: 'nope' } }), 7, /MAC/)
void refused(t, 'mtu below 68', conf('1.0.0', { mtu: 60 }), 7, /mtu/)
void refused(t, 'mtu above 65535', conf('1.0.0', { mtu: 70000 }), 7, /mtu/)
void refused(t, 'mtu not an integer', conf('1.0.0', { mtu: 1400.5 }), 7, /mtu/)
void refused(t, 'txQLen negative', conf('1.0.0', { txQLen: -1 }), 7, /txQLen/)
void refused(t, 'promisc as a string', conf('1.0.0', { promisc: 'true' }), 7, /promisc/)
void refused(t, 'sysctl value not a string', conf('1.0.0', { sysctl: { 'net.core.somaxconn': 1 } }), 7, /sysctl/)
void refused(t, 'relative dataDir', conf('1.0.0', { mtu: 1400, dataDir: 'tmp/x' }), 7, /dataDir/)
void refused(t, 'dataDir with ..', conf('1.0.0', { mtu: 1400, dataDir: '/run/../etc' }), 7, /dataDir/)
void refused(t, 'unknown CNI_ARGS without IgnoreUnknown', conf('1.0.0', { mtu: 1400 }), 4, /unknown args/, { args: 'FOO=bar' })
void refused(t, 'prevResult missing on ADD', conf('1.0.0', { mtu: 1400 }, false), 7, /Required prevResult missing/)

t.test('prevResult missing on CHECK', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'CHECK', conf('1.0.0', { mtu: 1400 }, false))
  t.equal(r.out.code, 7)
  t.match(r.out.msg, /Required prevResult missing/)
})

t.test('DEL needs no prevResult, and ignores sysctl keys it will not write', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'DEL', conf('1.0.0', { sysctl: { 'kernel.hostname': 'x' } }, false))
  t.equal(r.code, 0, r.stdout)
  // no record: only the record's path is removed (it takes a crash-left temp file with it)
  t.same(host.calls, [{ tool: 'files', args: ['remove', '/run/cni/tuning/dummy_dummy0.json'] }])
})

t.test('args.cni.sysctl without a top-level sysctl works (the reference panics)', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'ADD', conf('1.0.0', { args: { cni: { sysctl: { 'net.core.somaxconn': '1024' } } } }))
  t.equal(r.code, 0, r.stdout)
  t.equal(host.sysctlIn('net/core/somaxconn'), '1024')
})

t.test('args.cni.sysctl overrides the same key and adds others', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'ADD', conf('1.0.0', {
    sysctl: { 'net.core.somaxconn': '100', 'net.ipv4.conf.IFNAME.arp_filter': '1' },
    args: { cni: { sysctl: { 'net.core.somaxconn': '200', 'net.ipv4.conf.all.log_martians': '1' } } },
  }))
  t.equal(r.code, 0, r.stdout)
  t.equal(host.sysctlIn('net/core/somaxconn'), '200')
  t.equal(host.sysctlIn('net/ipv4/conf/dummy0/arp_filter'), '1')
  t.equal(host.sysctlIn('net/ipv4/conf/all/log_martians'), '1')
})

t.test('IFNAME with a VLAN name keeps its dot', async (t) => {
  const host = tuningHost({ sysctls: { 'net/ipv4/conf/eth0.100/arp_filter': '0' } })
  const r = await call(host, 'ADD', conf('1.0.0', { sysctl: { 'net.ipv4.conf.IFNAME.arp_filter': '1' } }), { ifname: 'eth0.100' })
  t.equal(r.code, 0, r.stdout)
  t.equal(host.sysctlIn('net/ipv4/conf/eth0.100/arp_filter'), '1')
})

t.test('a sysctl that does not exist in the pod is refused before any write', async (t) => {
  const host = tuningHost()
  const r = await call(host, 'ADD', conf('1.0.0', { mtu: 1400, sysctl: { 'net.core.nope': '1' } }))
  t.equal(r.out.code, 7)
  t.match(r.out.msg, /does not exist/)
  t.same(host.calls, [])
})

t.test('MAC precedence: conf < CNI_ARGS < runtimeConfig < args.cni', async (t) => {
  const macs = { conf: 'c2:00:00:00:00:01', env: 'c2:00:00:00:00:02', rc: 'c2:00:00:00:00:03', args: 'c2:00:00:00:00:04' }
  const run = async (extra: object, args?: string): Promise<string | undefined> => {
    const host = tuningHost()
    const r = await call(host, 'ADD', conf('1.0.0', extra), args ? { args } : {})
    t.equal(r.code, 0, r.stdout)
    return host.link?.address
  }
  t.equal(await run({ mac: macs.conf }), macs.conf)
  t.equal(await run({ mac: macs.conf }, `IgnoreUnknown=1;K8S_POD_NAME=x;MAC=${macs.env}`), macs.env)
  t.equal(await run({ mac: macs.conf, runtimeConfig: { mac: macs.rc } }, `MAC=${macs.env}`), macs.rc)
  t.equal(await run({ mac: macs.conf, runtimeConfig: { mac: macs.rc }, args: { cni: { mac: macs.args } } }, `MAC=${macs.env}`), macs.args)
  t.equal(await run({ MAC: 'C2-00-00-00-00-0A' }), 'c2:00:00:00:00:0a', 'keys case-insensitive, MAC normalised')
})

t.test('a config with nothing to do passes prevResult through and touches nothing', async (t) => {
  const host = tuningHost()
  const cfg = conf('1.1.0', {})
  const r = await call(host, 'ADD', cfg)
  t.equal(r.code, 0)
  t.same(r.out, cfg.prevResult)
  t.same(host.calls, [])
})
