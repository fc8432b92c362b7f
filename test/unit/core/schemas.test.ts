import t from 'tap'
import { assertConfList, assertNetConf, assertResult, assertRuntimeConfig } from '../../../src/cni/schemas.js'

const spec = {
  cniVersion: '1.1.0',
  cniVersions: ['0.3.1', '0.4.0', '1.0.0', '1.1.0'],
  name: 'dbnet',
  plugins: [
    { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.1.0.0/16' }, dns: { nameservers: ['10.1.0.1'] } },
    { type: 'tuning', capabilities: { mac: true }, sysctl: { 'net.core.somaxconn': '500' } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
}

t.test('assertConfList accepts the spec example unchanged', async (t) => {
  t.strictSame(assertConfList(spec), spec)
})

t.test('assertConfList: flags as bool or "true"/"false" strings become booleans', async (t) => {
  const l = assertConfList({ ...spec, disableCheck: 'TRUE', disableGC: 'false', loadOnlyInlinedPlugins: true })
  t.equal(l.disableCheck, true)
  t.equal(l.disableGC, false)
  t.equal(l.loadOnlyInlinedPlugins, true)
  t.notOk('disableCheck' in assertConfList(spec))
})

t.test('assertConfList defaults: cniVersion "", plugins [] when absent (sibling-dir plugins)', async (t) => {
  t.strictSame(assertConfList({ name: 'n' }), { name: 'n', cniVersion: '', plugins: [] })
})

t.test('assertConfList rejects with code 7 and the ajv text', async (t) => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /conflist must be object/],
    ['no name', { plugins: [{ type: 'x' }] }, /must have required property 'name'/],
    ['bad name', { name: 'a/b', plugins: [{ type: 'x' }] }, /conflist\/name must match pattern/],
    ['cniVersion not a string', { name: 'n', cniVersion: 1, plugins: [{ type: 'x' }] }, /conflist\/cniVersion must be string/],
    ['bad cniVersions entry', { name: 'n', cniVersions: ['1.0.0', 'one'], plugins: [{ type: 'x' }] }, /cniVersions\/1 must match pattern/],
    ['empty plugins', { name: 'n', plugins: [] }, /plugins must NOT have fewer than 1 items/],
    ['plugins not an array', { name: 'n', plugins: {} }, /plugins must be array/],
    ['plugin without type', { name: 'n', plugins: [{ type: 'x' }, { bridge: 'b' }] }, /plugins\/1 must have required property 'type'/],
    ['type with a path', { name: 'n', plugins: [{ type: '../../bin/sh' }] }, /plugins\/0\/type must match pattern/],
    ['capabilities not bool', { name: 'n', plugins: [{ type: 'x', capabilities: { mac: 'yes' } }] }, /capabilities\/mac must be boolean/],
    ['flag of another type', { name: 'n', disableCheck: 1, plugins: [{ type: 'x' }] }, /disableCheck must be boolean/],
    ['flag string not a bool', { name: 'n', disableGC: 'yes', plugins: [{ type: 'x' }] }, /disableGC must match pattern/],
    ['inlined only without plugins', { name: 'n', loadOnlyInlinedPlugins: 'true' }, /must have required property 'plugins'/],
  ]
  for (const [name, x, details] of bad) t.throws(() => assertConfList(x), { code: 7, msg: 'invalid network configuration list', details }, name)
})

t.test('assertNetConf: type required and a file name; protocol keys matched case-insensitively', async (t) => {
  t.strictSame(assertNetConf({ CNIVersion: '1.0.0', Name: 'n', Type: 'tuning', sysctl: {} }), { cniVersion: '1.0.0', name: 'n', type: 'tuning', sysctl: {} })
  t.throws(() => assertNetConf({ name: 'n' }), { code: 7, details: /must have required property 'type'/ })
  t.throws(() => assertNetConf({ type: '' }), { code: 7, details: /type must match pattern/ })
  t.throws(() => assertNetConf({ type: 'x', ipam: { type: 'a/b' } }), { code: 7, details: /ipam\/type must match pattern/ })
  t.throws(() => assertNetConf({ type: 'x', ipMasq: 'true' }), { code: 7, details: /ipMasq must be boolean/ })
  t.throws(() => assertNetConf('x'), { code: 7 })
  t.throws(() => assertNetConf({ type: 'x', 'cni.dev/valid-attachments': [{ containerID: 'c' }] }), { code: 7, details: /must have required property 'ifname'/ })
  t.ok(assertNetConf({ type: 'x', 'cni.dev/valid-attachments': [{ containerID: 'c', ifname: 'eth0' }] }))
})

t.test('assertRuntimeConfig normalizes then validates the well-known capabilities', async (t) => {
  t.strictSame(assertRuntimeConfig({ PortMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: 'TCP', HostIP: '' }], Bandwidth: { IngressRate: 1000, IngressBurst: 4294967295 }, other: 'kept' }),
    { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'TCP', hostIP: '' }], bandwidth: { ingressRate: 1000, ingressBurst: 4294967295 }, other: 'kept' })
  t.strictSame(assertRuntimeConfig(undefined), {})
  t.ok(assertRuntimeConfig({ portMappings: [{ hostPort: 1, containerPort: 65535, hostIP: '2001:db8::1' }], mac: '02:00:00:00:00:01' }))
  const bad: [string, unknown, RegExp][] = [
    ['host port 0', { portMappings: [{ hostPort: 0, containerPort: 80 }] }, /portMappings\/0\/hostPort must be >= 1/],
    ['container port too big', { portMappings: [{ hostPort: 80, containerPort: 70000 }] }, /containerPort must be <= 65535/],
    ['port not a number', { portMappings: [{ hostPort: '80', containerPort: 80 }] }, /hostPort must be integer/],
    ['protocol', { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'icmp' }] }, /protocol must match pattern/],
    ['hostIP', { portMappings: [{ hostPort: 80, containerPort: 80, hostIP: '1.2.3' }] }, /hostIP/],
    ['missing containerPort', { portMappings: [{ hostPort: 80 }] }, /must have required property 'containerPort'/],
    ['negative rate', { bandwidth: { egressRate: -1 } }, /egressRate must be >= 0/],
    ['fractional burst', { bandwidth: { egressBurst: 1.5 } }, /egressBurst must be integer/],
    ['mac', { mac: 'zz:00:00:00:00:01' }, /mac must match pattern/],
    ['dns servers', { dns: { Servers: 'x' } }, /dns\/servers must be array/],
    ['not an object', [], /must be a JSON object/],
  ]
  for (const [name, x, details] of bad) t.throws(() => assertRuntimeConfig(x), { code: 7, details }, name)
})

t.test('assertResult checks the 0.3+/1.x shape', async (t) => {
  t.ok(assertResult({ cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', interface: 0 }] }))
  t.throws(() => assertResult({ cniVersion: '1.1.0', interfaces: [{ mac: 'x' }] }), { code: 6, details: /interfaces\/0 must have required property 'name'/ })
})

t.test('ajvErrorText: at most five errors, then a count; enum and additionalProperties name the value', async (t) => {
  const { ajvErrorText } = await import('../../../src/cni/ajv-errors.js')
  t.equal(ajvErrorText(null, 'x'), 'x is invalid')
  const errs = Array.from({ length: 7 }, (_, i) => ({ instancePath: `/${i}`, keyword: 'type', params: {}, schemaPath: '', message: 'must be string' }))
  t.equal(ajvErrorText(errs, 'x'), '/0 /1 /2 /3 /4'.split(' ').map((p) => `x${p} must be string`).join('; ') + '; and 2 more')
  t.equal(ajvErrorText([{ instancePath: '/a', keyword: 'enum', params: { allowedValues: ['p', 'q'] }, schemaPath: '', message: 'must be equal to one of the allowed values' }], 'c'),
    'c/a must be equal to one of the allowed values (["p","q"])')
  t.equal(ajvErrorText([{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'zz' }, schemaPath: '' }], 'c'),
    'c is invalid ("zz")')
})
