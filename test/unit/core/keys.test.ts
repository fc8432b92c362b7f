import t from 'tap'
import { getKey, isObject, normalizeKeys } from '../../../src/cni/keys.js'
import { normalizeCapabilityArgs } from '../../../src/cni/capabilities.js'

t.test('isObject', async (t) => {
  t.ok(isObject({}))
  t.notOk(isObject([]))
  t.notOk(isObject(null))
  t.notOk(isObject('x'))
})

t.test('getKey matches case-insensitively, last match wins', async (t) => {
  t.equal(getKey({ HostPort: 80 }, 'hostPort'), 80)
  t.equal(getKey({ mtu: 1, MTU: 2 }, 'Mtu'), 2)
  t.equal(getKey({ a: 1 }, 'b'), undefined)
})

t.test('normalizeKeys renames only the canonical keys, not recursively', async (t) => {
  t.strictSame(normalizeKeys({ HOSTPORT: 1, other: { HostIP: 'x' } }, ['hostPort', 'hostIP']), { hostPort: 1, other: { HostIP: 'x' } })
})

t.test('normalizeCapabilityArgs fixes containerd PascalCase at every well-known level', async (t) => {
  const rc = normalizeCapabilityArgs({
    PortMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: 'tcp', HostIP: '' }],
    Bandwidth: { IngressRate: 1000, IngressBurst: 4294967295, EgressRate: 2000, EgressBurst: 100 },
    IPRanges: [[{ Subnet: '10.0.0.0/24', RangeStart: '10.0.0.10', RangeEnd: '10.0.0.20', Gateway: '10.0.0.1' }]],
    DNS: { Servers: ['10.0.0.1'], Searches: ['corp'], Options: ['ndots:5'] },
    MAC: '02:00:00:00:00:01',
    'io.kubernetes.cri.pod-annotations': { A: 'b' },
    custom: { Keep: 1 },
  })
  t.strictSame(rc, {
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }],
    bandwidth: { ingressRate: 1000, ingressBurst: 4294967295, egressRate: 2000, egressBurst: 100 },
    ipRanges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20', gateway: '10.0.0.1' }]],
    dns: { servers: ['10.0.0.1'], searches: ['corp'], options: ['ndots:5'] },
    mac: '02:00:00:00:00:01',
    'io.kubernetes.cri.pod-annotations': { A: 'b' },
    custom: { Keep: 1 },
  })
  t.strictSame(normalizeCapabilityArgs({ portMappings: 'x', bandwidth: 3 }), { portMappings: 'x', bandwidth: 3 }, 'bad shapes pass through for the schema to report')
})
