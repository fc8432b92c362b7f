// The fixture inputs (expected plans are stored in fixtures/portmap/*.json). Regenerate with
// `UPDATE_FIXTURES=1 npx tap test/fixtures/portmap-plans.test.ts` and review the diff.
import { podChainName } from '../../../meta-plugins/portmap/layout.js'
import { baseConf, prevResult, type PortmapFixture } from './helpers.js'

const maps = [
  { HostPort: 8080, ContainerPort: 80, Protocol: 'TCP' },
  { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '192.168.0.2' },
  { hostPort: 8085, containerPort: 85, protocol: 'tcp', hostIP: '2001:db8:a::1' },
  { hostPort: 8086, containerPort: 86, protocol: 'sctp', hostIP: '::' },
]
const route = { 'ip -j route get 10.0.0.2': [{ dst: '10.0.0.2', dev: 'cni0' }] }
const localnetOff = { '|net/ipv4/conf/cni0/route_localnet': '0' }
const v4 = prevResult(['10.0.0.2/24'])
const v6 = prevResult(['2001:db8::2/64'])
const dual = prevResult(['10.0.0.2/24', '2001:db8::2/64'])
const rc = (m: unknown[]) => ({ runtimeConfig: { portMappings: m } })
const pmChain = podChainName('testnet', 'ctr1', 'eth0')
const liveChain = podChainName('testnet', 'live', 'eth0')
const v2 = { family: 'inet', table: 'cni_portmap_v2' }
const v1 = { family: 'inet', table: 'cni_portmap_v1' }
const ipvs = { 'ip -j addr show dev kube-ipvs0': [{ ifname: 'kube-ipvs0', addr_info: [
  { family: 'inet', local: '10.96.0.1', prefixlen: 32 }, { family: 'inet', local: '10.96.0.10', prefixlen: 32 },
  { family: 'inet6', local: 'fd00:96:0:0::1', prefixlen: 128 },
] }] }

export const fixtureInputs: Record<string, PortmapFixture> = {
  'add-v4': { description: 'IPv4 pod, snat (default): mark rules, localhost, route_localnet, UDP conntrack', verb: 'ADD', conf: baseConf({ ...rc(maps), prevResult: v4 }), responses: route, sysctls: localnetOff },
  'add-v6': { description: 'IPv6 pod: no localhost rule, no route_localnet, IPv4 hostIP skipped', verb: 'ADD', conf: baseConf({ ...rc(maps), prevResult: v6 }) },
  'add-dual': { description: 'dual-stack pod, snat', verb: 'ADD', conf: baseConf({ ...rc(maps), prevResult: dual }), responses: route, sysctls: { '|net/ipv4/conf/cni0/route_localnet': '1' } },
  'add-snat-off': { description: 'snat false: no marks, 127/8 excluded, no masq chain or raw guard', verb: 'ADD', conf: baseConf({ ...rc(maps.slice(0, 2)), snat: false, prevResult: v4 }) },
  'add-masqall': { description: 'masqAll with mark bit 5', verb: 'ADD', conf: baseConf({ ...rc(maps.slice(0, 1)), masqAll: true, markMasqBit: 5, prevResult: v4 }), responses: route, sysctls: localnetOff },
  'add-conditions': { description: 'per-pod conditions', verb: 'ADD', conf: baseConf({ ...rc(maps.slice(0, 1)), snat: false, conditionsV4: ['ip', 'saddr', '!=', '10.1.0.0/16', 'iifname eth*'], conditionsV6: ['ip6 saddr 2001:db8:1::/48'], prevResult: dual }) },
  'add-no-mappings': { description: 'no portMappings: prevResult passes through, nothing else', verb: 'ADD', conf: baseConf({ prevResult: v4 }) },
  'del-mappings': { description: 'DEL with portMappings and prevResult: owner-checked destroy, conntrack, state cleanup', verb: 'DEL', env: { command: 'DEL' }, conf: baseConf({ ...rc(maps), prevResult: v4 }), files: { [`/run/pmtest/attachments/${pmChain}`]: '{"localnet":"cni0"}', [`/run/pmtest/localnet/cni0/${pmChain}`]: '', '/run/pmtest/localnet/cni0/.orig': '0' } },
  'del-no-mappings': {
    description: 'DEL without portMappings or prevResult: keys and families from the chain comments',
    verb: 'DEL', env: { command: 'DEL' }, conf: baseConf(),
    files: { [`/run/pmtest/attachments/${pmChain}`]: '{}' },
    responses: { [`nft -j list chain inet cni_portmap_v2 ${pmChain}`]: [
      { chain: { family: 'inet', table: 'cni_portmap_v2', name: pmChain } },
      { rule: { family: 'inet', table: 'cni_portmap_v2', chain: pmChain, comment: 'k=udp/5353@192.168.0.2 if=eth0 net=testnet cid=ctr1', expr: [{ dnat: { family: 'ip', addr: '10.0.0.2', port: 53 } }] } },
      { rule: { family: 'inet', table: 'cni_portmap_v2', chain: pmChain, comment: 'k=tcp/8080 if=eth0 net=testnet cid=ctr1', expr: [{ dnat: { family: 'ip', addr: '10.0.0.2', port: 80 } }] } },
    ] },
  },
  'del-unknown': { description: 'DEL of an attachment portmap never saw: no-op', verb: 'DEL', env: { command: 'DEL' }, conf: baseConf() },
  'add-specific-only': {
    description: 'only specific host IPs: shared per-port chains, goto specificN claims, jump references last',
    verb: 'ADD', conf: baseConf({ ...rc([maps[1], maps[2], { hostPort: 5354, containerPort: 54, protocol: 'udp', hostIP: '127.0.0.1' }]), snat: false, prevResult: dual }),
  },
  'add-ipvs-exclude': {
    description: 'kube-ipvs0 addresses refresh the ipvs sets in the ADD transaction; excludeDestinations return first in the pod chain',
    verb: 'ADD', conf: baseConf({ ...rc(maps.slice(0, 1)), snat: false, excludeDestinations: ['10.96.0.0/12', '10.100.0.7', 'fd00:96::/112'], prevResult: dual }),
    responses: ipvs,
  },
  're-add-keeps-record': {
    description: 're-ADD of a live attachment: the record\'s undo puts the previous content back',
    verb: 'ADD', conf: baseConf({ ...rc(maps.slice(0, 1)), snat: false, prevResult: v4 }),
    files: { [`/run/pmtest/attachments/${pmChain}`]: '{"localnet":null}\n' },
  },
  'del-garbage-record': {
    description: 'DEL with a record that is not JSON: the localnet marker is found by name, route_localnet restored',
    verb: 'DEL', env: { command: 'DEL' }, conf: baseConf({ ...rc(maps.slice(0, 1)), prevResult: v4 }),
    files: { [`/run/pmtest/attachments/${pmChain}`]: '{"localnet":"../../x"', [`/run/pmtest/localnet/cni0/${pmChain}`]: '', '/run/pmtest/localnet/cni0/.orig': '0' },
  },
  'gc': {
    description: 'GC: removes this network\'s chain not in valid-attachments with its wildcard and address elements, then the shared port chain it held alone; keeps the valid one and another network\'s',
    verb: 'GC', env: { command: 'GC', containerId: '', ifname: '' },
    conf: baseConf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'live', ifname: 'eth0' }] }),
    responses: { 'nft -j list table inet cni_portmap_v2': [
      { table: { family: 'inet', name: 'cni_portmap_v2' } },
      { map: { ...v2, name: 'ports4', type: ['inet_proto', 'inet_service'], map: 'verdict', elem: [
        [{ concat: ['tcp', 8080] }, { goto: { target: pmChain } }],
        [{ concat: ['tcp', 9000] }, { goto: { target: 'pm-aaaaaaaaaaaaaaaa' } }],
        [{ concat: ['tcp', 9001] }, { goto: { target: liveChain } }],
        [{ concat: ['udp', 5353] }, { goto: { target: 'specific4' } }],
      ] } },
      { map: { ...v2, name: 'ports6', type: ['inet_proto', 'inet_service'], map: 'verdict', elem: [
        [{ concat: ['tcp', 8080] }, { goto: { target: pmChain } }],
      ] } },
      { map: { ...v2, name: 'hostip4', type: ['ipv4_addr', 'inet_proto', 'inet_service'], map: 'verdict', elem: [
        [{ concat: ['192.168.0.2', 'udp', 5353] }, { goto: { target: pmChain } }],
      ] } },
      { chain: { ...v2, name: 'specific4' } },
      { chain: { ...v2, name: 'sp4-udp-5353' } },
      { chain: { ...v2, name: pmChain } },
      { chain: { ...v2, name: 'pm-aaaaaaaaaaaaaaaa' } },
      { chain: { ...v2, name: liveChain } },
      { rule: { ...v2, chain: pmChain, comment: 'k=tcp/8080 if=eth0 net=testnet cid=ctr1', expr: [] } },
      { rule: { ...v2, chain: pmChain, comment: 'k=udp/5353@192.168.0.2 if=eth0 net=testnet cid=ctr1', expr: [] } },
      { rule: { ...v2, chain: pmChain, expr: [{ jump: { target: 'sp4-udp-5353' } }] } },
      { rule: { ...v2, chain: 'pm-aaaaaaaaaaaaaaaa', comment: 'k=tcp/9000 if=eth0 net=othernet cid=x', expr: [] } },
      { rule: { ...v2, chain: liveChain, comment: 'k=tcp/9001 if=eth0 net=testnet cid=live', expr: [] } },
    ] },
  },
  'gc-legacy': {
    description: 'GC with a v1 table: this network\'s stale v1 chain goes with its anyip element; the v1 table too, no pod chain being left',
    verb: 'GC', env: { command: 'GC', containerId: '', ifname: '' },
    conf: baseConf({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] }),
    files: { [`/run/pmtest/attachments/${pmChain}`]: '{}' },
    responses: { 'nft -j list table inet cni_portmap_v1': [
      { table: { family: 'inet', name: 'cni_portmap_v1' } },
      { map: { ...v1, name: 'anyip', type: ['inet_proto', 'inet_service'], map: 'verdict', elem: [[{ concat: ['tcp', 8080] }, { goto: { target: pmChain } }]] } },
      { chain: { ...v1, name: pmChain } },
      { rule: { ...v1, chain: pmChain, comment: 'k=tcp/8080 if=eth0 net=testnet cid=ctr1', expr: [] } },
    ] },
  },
}
