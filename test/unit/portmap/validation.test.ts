// Bad input → CNI error code 7 on stdout, non-zero exit, and not one host call.
import t from 'tap'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import { createFakeHost } from '../../../src/host/fake.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { parsePortmapConfig } from '../../../meta-plugins/portmap/config.js'
import { baseConf, prevResult } from './helpers.js'

const invoke = async (conf: object, command = 'ADD') => {
  const host = createFakeHost()
  let out = ''
  const code = await runPlugin(pluginFromMeta(portmapPlugin), {
    env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (s) => { out += s },
    stderr: () => undefined,
  }, () => host)
  return { code, out: JSON.parse(out || '{}'), host }
}

const withMapping = (m: object, extra: object = {}) =>
  baseConf({ runtimeConfig: { portMappings: [m] }, prevResult: prevResult(['10.0.0.2/24']), ...extra })

const cases: [string, object, RegExp][] = [
  ['host port 0', withMapping({ hostPort: 0, containerPort: 80, protocol: 'tcp' }), /Invalid host port number: 0/],
  ['host port 70000', withMapping({ hostPort: 70000, containerPort: 80, protocol: 'tcp' }), /Invalid host port number: 70000/],
  ['container port -1', withMapping({ hostPort: 80, containerPort: -1, protocol: 'tcp' }), /Invalid container port number: -1/],
  ['protocol icmp', withMapping({ hostPort: 80, containerPort: 80, protocol: 'icmp' }), /protocol "icmp" is not one of tcp, udp, sctp/],
  ['stateDir with ..', withMapping({ hostPort: 80, containerPort: 80 }, { stateDir: '/var/lib/cni/../../../etc' }), /stateDir must be an absolute path/],
  ['relative stateDir', withMapping({ hostPort: 80, containerPort: 80 }, { stateDir: 'state' }), /stateDir must/],
  ['stateDir with .', withMapping({ hostPort: 80, containerPort: 80 }, { stateDir: '/var/./lib' }), /stateDir must be an absolute path/],
  ['hostIP ::1', withMapping({ hostPort: 80, containerPort: 80, protocol: 'tcp', hostIP: '::1' }), /IPv6 loopback cannot be NATed/],
  ['bad hostIP', withMapping({ hostPort: 80, containerPort: 80, protocol: 'tcp', hostIP: '10.0.0.300' }), /is not an IP address/],
  ['hostIP with zone', withMapping({ hostPort: 80, containerPort: 80, protocol: 'tcp', hostIP: 'fe80::1%eth0' }), /is not an IP address/],
  ['markMasqBit 32', withMapping({ hostPort: 80, containerPort: 80 }, { markMasqBit: 32 }), /markMasqBit/],
  ['snat not a bool', withMapping({ hostPort: 80, containerPort: 80 }, { snat: 'yes' }), /snat/],
  ['iptables conditions', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['-s', '1.2.3.4'] }), /iptables syntax/],
  ['injection in conditions', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['ip saddr 1.2.3.4 ; flush ruleset'] }), /unknown selector/],
  ['ip6 selector in conditionsV4', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['ip6 saddr ::/0'] }), /cannot be used for IPv4/],
  ['duplicate host port', baseConf({ runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80 }, { hostPort: 80, containerPort: 81 }] }, prevResult: prevResult(['10.0.0.2/24']) }), /tcp\/80 overlaps tcp\/80, mapped to another container port/],
  ['wildcard and address of one family to two container ports', baseConf({ runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, hostIP: '0.0.0.0' }, { hostPort: 80, containerPort: 81, hostIP: '10.1.1.1' }] }, prevResult: prevResult(['10.0.0.2/24']) }), /tcp\/80@10\.1\.1\.1 overlaps tcp\/80@0\.0\.0\.0/],
  ['condition token "constructor"', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['constructor', 'x'] }), /unknown selector at "constructor x"/],
  ['condition token "__proto__"', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['__proto__', 'x'] }), /unknown selector at "__proto__ x"/],
  ['condition token "hasOwnProperty"', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV6: ['hasOwnProperty'] }), /unknown selector at "hasOwnProperty"/],
  ['condition "ip toString"', withMapping({ hostPort: 80, containerPort: 80 }, { conditionsV4: ['ip', 'toString', '1.2.3.4'] }), /unknown selector/],
  ['excludeDestinations not CIDRs', withMapping({ hostPort: 80, containerPort: 80 }, { excludeDestinations: ['10.96.0.0/33'] }), /excludeDestinations\[0\]: "10\.96\.0\.0\/33" is not an IP address or prefix/],
  ['excludeDestinations with a zone', withMapping({ hostPort: 80, containerPort: 80 }, { excludeDestinations: ['fe80::1%eth0'] }), /excludeDestinations\[0\]/],
  ['excludeDestinations not an array', withMapping({ hostPort: 80, containerPort: 80 }, { excludeDestinations: '10.96.0.0/12' }), /excludeDestinations/],
  ['both mark options', withMapping({ hostPort: 80, containerPort: 80 }, { markMasqBit: 5, externalSetMarkChain: 'X' }), /externalSetMarkChain/],
]

for (const [name, conf, msg] of cases) {
  t.test(name, async (t) => {
    const r = await invoke(conf)
    t.equal(r.code, 1, 'exit status 1')
    t.equal(r.out.code, 7, 'CNI code 7')
    t.match(`${r.out.msg} ${r.out.details}`, msg, 'message')
    t.same(r.host.calls, [], 'no host call')
  })
}

t.test('ADD without prevResult is refused', async (t) => {
  const r = await invoke(baseConf({ runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80 }] } }))
  t.equal(r.out.code, 7)
  t.match(r.out.msg, /chained plugin/)
})

t.test('keys are matched case-insensitively, protocol lowercased, duplicates merged, one-family wildcards kept', async (t) => {
  const cfg = parsePortmapConfig(baseConf({
    RuntimeConfig: { PortMappings: [
      { HostPort: 8080, ContainerPort: 80, Protocol: 'TCP', HostIP: '0.0.0.0' },
      { hostport: 8080, containerport: 80, protocol: 'tcp', hostip: '::' },
      { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '0.0.0.0' },
      { hostPort: 53, containerPort: 53, protocol: 'UDP', hostIP: '2001:DB8:0::1' },
    ] },
    SNAT: false, MasqAll: true, prevResult: prevResult(['10.0.0.2/24', '2001:db8::2/64']),
  }), 'eth0')
  t.same(cfg.mappings, [
    { protocol: 'tcp', hostPort: 8080, containerPort: 80, hostIP: '0.0.0.0', hostFamily: 4 },
    { protocol: 'tcp', hostPort: 8080, containerPort: 80, hostIP: '::', hostFamily: 6 },
    { protocol: 'udp', hostPort: 53, containerPort: 53, hostIP: '2001:db8::1', hostFamily: 6 },
  ])
  t.equal(cfg.snat, false)
  t.equal(cfg.masqAll, true)
  t.same(cfg.podV4, { addr: '10.0.0.2', prefixLen: 24 })
  t.same(cfg.podV6, { addr: '2001:db8::2', prefixLen: 64 })
  t.equal(cfg.mark, 0x2000, 'default mark bit 13')
})

t.test('pod addresses: host-side and other-interface IPs are skipped (reference §2.2)', async (t) => {
  const cfg = parsePortmapConfig(baseConf({ prevResult: {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'cni0' }, { name: 'eth0', sandbox: '/x' }, { name: 'net1', sandbox: '/x' }],
    ips: [{ address: '10.0.0.1/24', interface: 0 }, { address: '10.9.0.2/24', interface: 2 }, { address: '10.0.0.2/24', interface: 1 }, { address: '10.0.0.3/24' }],
  } }), 'eth0')
  t.same(cfg.podV4, { addr: '10.0.0.2', prefixLen: 24 })
})

t.test('overlapping mappings of one attachment to the same container port: the covered one is dropped', async (t) => {
  const cfg = (m: object[]) => parsePortmapConfig(baseConf({ runtimeConfig: { portMappings: m }, prevResult: prevResult(['10.0.0.2/24']) }), 'eth0').mappings
  t.same(cfg([{ hostPort: 80, containerPort: 8, hostIP: '10.1.1.1' }, { hostPort: 80, containerPort: 8, hostIP: '0.0.0.0' }, { hostPort: 80, containerPort: 8 }]),
    [{ protocol: 'tcp', hostPort: 80, containerPort: 8 }], 'the unset hostIP covers 0.0.0.0 and 10.1.1.1')
  t.same(cfg([{ hostPort: 80, containerPort: 8 }, { hostPort: 80, containerPort: 8, hostIP: '::' }]), [{ protocol: 'tcp', hostPort: 80, containerPort: 8 }])
  t.same(cfg([{ hostPort: 80, containerPort: 8, hostIP: '10.1.1.1' }, { hostPort: 80, containerPort: 9, hostIP: '10.1.1.2' }]).length, 2, 'two addresses do not overlap')
})

t.test('excludeDestinations: normalized prefixes of both families', async (t) => {
  const cfg = parsePortmapConfig(baseConf({ excludeDestinations: ['10.96.0.1/12', '10.100.0.7', 'FD00:96::5/112'] }), 'eth0')
  t.same(cfg.excludeDestinations, [
    { family: 4, addr: '10.96.0.0', len: 12 }, { family: 4, addr: '10.100.0.7', len: 32 }, { family: 6, addr: 'fd00:96::', len: 112 },
  ])
})
