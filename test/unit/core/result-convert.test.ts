import t from 'tap'
import { convertResult, toCurrentResult, RESULT_VERSIONS } from '../../../src/cni/result-convert.js'
import { CniError } from '../../../src/cni/errors.js'
import type { Result } from '../../../src/cni/types.js'

// cni-spec.md 4.2: the same attachment in 1.1.0, 0.4.0 and 0.2.0
const v110 = {
  cniVersion: '1.1.0',
  interfaces: [
    { name: 'veth3243', mac: '55:44:33:22:11:11' },
    { name: 'eth0', mac: '99:88:77:66:55:44', mtu: 1500, sandbox: '/var/run/netns/blue', socketPath: '/run/x.sock', pciID: '0000:00:01.0' },
  ],
  ips: [
    { address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 1 },
    { address: 'fd00::5/64', interface: 0 },
  ],
  routes: [
    { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1450, table: 100, scope: 0 },
    { dst: '::/0', gw: 'fd00::1' },
  ],
  dns: { nameservers: ['10.1.0.1'], domain: 'example.org', search: ['example.org'], options: ['ndots:5'] },
}

const v040 = {
  cniVersion: '0.4.0',
  interfaces: [
    { name: 'veth3243', mac: '55:44:33:22:11:11' },
    { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue' },
  ],
  ips: [
    { version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 1 },
    { version: '6', address: 'fd00::5/64', interface: 0 },
  ],
  routes: [
    { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1450, table: 100, scope: 0 },
    { dst: '::/0', gw: 'fd00::1' },
  ],
  dns: v110.dns,
}

const v020 = {
  cniVersion: '0.2.0',
  ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
  ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
  dns: v110.dns,
}

t.test('1.1.0 to 0.4.0 is the spec example: version added, interface mtu/socketPath/pciID dropped, route 1.1 fields kept', async (t) => {
  t.same(convertResult(toCurrentResult(v110), '0.4.0'), v040)
  t.strictSame(JSON.parse(JSON.stringify(convertResult(toCurrentResult(v110), '0.4.0'))), v040)
})

t.test('1.1.0 to 0.2.0 keeps the first IP of each family and the routes of that family (dst + gw)', async (t) => {
  const legacy = convertResult(toCurrentResult(v110), '0.2.0')
  t.strictSame(legacy, {
    cniVersion: '0.2.0',
    ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
    ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
    dns: v110.dns,
  })
})

t.test('toCurrentResult of 0.4.0 drops version and keeps index 0, table and scope 0', async (t) => {
  const r = toCurrentResult(v040)
  t.equal(r.cniVersion, '0.4.0')
  t.strictSame(r.ips, [
    { address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 1 },
    { address: 'fd00::5/64', interface: 0 },
  ])
  t.strictSame(r.routes?.[0], { dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1450, table: 100, scope: 0 })
})

t.test('toCurrentResult of legacy 0.2.0: ip4 then ip6, routes in that order, no interface index', async (t) => {
  const r = toCurrentResult(v020)
  t.strictSame(r, {
    cniVersion: '0.2.0',
    ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1' }, { address: 'fd00::5/64' }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '::/0', gw: 'fd00::1' }],
    dns: v110.dns,
  })
  t.strictSame(convertResult(r, '0.3.1'), {
    cniVersion: '0.3.1',
    ips: [{ version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1' }, { version: '6', address: 'fd00::5/64' }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '::/0', gw: 'fd00::1' }],
    dns: v110.dns,
  })
})

t.test('every pair of versions converts, and rendering then reading is stable', async (t) => {
  const sources: Record<string, object> = { '1.1.0': v110, '0.4.0': v040, '0.2.0': v020 }
  let cells = 0
  for (const [from, json] of Object.entries(sources)) {
    for (const to of RESULT_VERSIONS) {
      const out = convertResult(toCurrentResult(json), to)
      t.equal(out.cniVersion, to, `${from} -> ${to}`)
      // reading the rendered JSON back and rendering again gives the same bytes
      t.equal(JSON.stringify(convertResult(toCurrentResult(out), to)), JSON.stringify(out), `${from} -> ${to} round trip`)
      const family = to.startsWith('0.1') || to.startsWith('0.2') ? 'legacy' : to.startsWith('1.') ? '1.x' : '0.4'
      if (family === 'legacy') t.ok(out.ip4 && !('ips' in out), `${to} is legacy`)
      if (family === '0.4') t.ok((out.ips as { version?: string }[]).every((i) => i.version === '4' || i.version === '6'), `${to} has ips[].version`)
      if (family === '1.x') t.ok((out.ips as { version?: string }[]).every((i) => !('version' in i)), `${to} has no ips[].version`)
      cells++
    }
  }
  t.equal(cells, 3 * 7)
})

t.test('round trips: 1.1.0 -> 0.4.0 -> 1.1.0 loses exactly the interface 1.1 fields; 1.0 <-> 1.1 lose nothing', async (t) => {
  const back = convertResult(toCurrentResult(convertResult(toCurrentResult(v110), '0.4.0')), '1.1.0')
  const expected = structuredClone(v110)
  expected.interfaces[1] = { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue' } as typeof expected.interfaces[1]
  t.strictSame(back, expected)
  t.strictSame(convertResult(toCurrentResult(convertResult(toCurrentResult(v110), '1.0.0')), '1.1.0'), v110)
  t.strictSame(convertResult(toCurrentResult(v040), '0.3.0'), { ...v040, cniVersion: '0.3.0' })
})

t.test('index 0, scope 0 and table 0 survive every non-legacy version', async (t) => {
  const r: Result = { cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/24', interface: 0 }], routes: [{ dst: '10.9.0.0/16', scope: 0, table: 0 }] }
  for (const to of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    const out = toCurrentResult(convertResult(r, to))
    t.equal(out.ips?.[0]?.interface, 0, to)
    t.equal(out.routes?.[0]?.scope, 0, to)
    t.equal(out.routes?.[0]?.table, 0, to)
  }
})

t.test('empty sections: arrays omitted, dns omitted in 1.x but {} in 0.4 and legacy', async (t) => {
  const r = toCurrentResult({ cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.0.0.2/24' }], routes: [], dns: { nameservers: [] } })
  t.strictSame(r, { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] })
  t.strictSame(convertResult(r, '1.1.0'), { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }] })
  t.strictSame(convertResult(r, '0.4.0'), { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24' }], dns: {} })
  t.strictSame(convertResult(r, '0.1.0'), { cniVersion: '0.1.0', ip4: { ip: '10.0.0.2/24' }, dns: {} })
  t.strictSame(convertResult({ cniVersion: '1.1.0' }, '1.0.0'), { cniVersion: '1.0.0' })
})

t.test('0.1.0/0.2.0 without an IP cannot be rendered', async (t) => {
  for (const to of ['0.1.0', '0.2.0', '']) {
    t.throws(() => convertResult({ cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }] }, to),
      { code: 1, msg: 'cannot convert: no valid IP addresses' })
  }
  // a v6-only route is dropped when only an IPv4 address exists
  t.strictSame(convertResult({ cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }], routes: [{ dst: '::/0' }] }, '0.2.0'),
    { cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24' }, dns: {} })
})

t.test('unknown versions are CNI error 1 both ways', async (t) => {
  t.throws(() => convertResult({ cniVersion: '1.1.0' }, '2.0.0'), { code: 1, msg: 'unsupported CNI result version' })
  t.throws(() => convertResult({ cniVersion: '1.1.0' }, '0.5.0'), { code: 1 })
  t.throws(() => toCurrentResult({ cniVersion: '9.9.9' }), { code: 1 })
  const e = t.throws(() => toCurrentResult({ cniVersion: '1.2.0', ips: [] })) as unknown
  t.ok(e instanceof CniError)
})

t.test('a result without cniVersion is read as the given default (libcni #895), else as 0.1.0', async (t) => {
  const r = toCurrentResult({ ips: [{ address: '10.0.0.2/24', interface: 0 }] }, '1.0.0')
  t.strictSame(r, { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', interface: 0 }] })
  t.strictSame(toCurrentResult({ cniVersion: '', ip4: { ip: '10.0.0.2/24' } }), { cniVersion: '0.1.0', ips: [{ address: '10.0.0.2/24' }] })
})

t.test('keys are matched case-insensitively and unknown keys are ignored, as Go decodes', async (t) => {
  const r = toCurrentResult({
    CNIVersion: '1.0.0',
    Interfaces: [{ Name: 'eth0', MAC: '02:00:00:00:00:01', extra: 1 }],
    IPs: [{ Address: '10.0.0.2/24', Gateway: '10.0.0.1', Interface: 0 }],
    Routes: [{ Dst: '0.0.0.0/0', GW: '10.0.0.1' }],
    DNS: { Nameservers: ['10.0.0.1'] },
    somethingElse: true,
  })
  t.strictSame(r, {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01' }],
    ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
    dns: { nameservers: ['10.0.0.1'] },
  })
})

t.test('0.4.0 input drops 1.1-only interface fields (types040 has none); empty strings are absent', async (t) => {
  const r = toCurrentResult({ cniVersion: '0.4.0', interfaces: [{ name: 'eth0', mtu: 9000, mac: '', sandbox: '' }], ips: [{ version: '4', address: '10.0.0.2/24', gateway: '' }] })
  t.strictSame(r, { cniVersion: '0.4.0', interfaces: [{ name: 'eth0' }], ips: [{ address: '10.0.0.2/24' }] })
})

t.test('malformed results are CNI error 6 naming the field', async (t) => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [1], /JSON object/],
    ['version not a string', { cniVersion: 1 }, /cniVersion/],
    ['ips not an array', { cniVersion: '1.0.0', ips: {} }, /result\/ips must be array/],
    ['negative index', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', interface: -1 }] }, /interface must be >= 0/],
    ['address without prefix', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2' }] }, /ips\[0\]\.address: invalid CIDR/],
    ['bad gateway', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', gateway: 'x' }] }, /ips\[0\]\.gateway: invalid IP/],
    ['bad route dst', { cniVersion: '0.3.1', routes: [{ dst: '10.0.0.0/33' }] }, /routes\[0\]\.dst/],
    ['legacy ip missing', { cniVersion: '0.2.0', ip4: { gateway: '10.0.0.1' } }, /ip4 must have required property 'ip'/],
    ['legacy route gw', { cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24', routes: [{ dst: '0.0.0.0/0', gw: 'nope' }] } }, /ip4\.routes\[0\]\.gw/],
  ]
  for (const [name, json, details] of bad) {
    t.throws(() => toCurrentResult(json), { code: 6, details }, name)
  }
})

t.test('ips[].version follows the address family, IPv4-mapped IPv6 counting as 4 (Go To4)', async (t) => {
  const out = convertResult({ cniVersion: '1.1.0', ips: [{ address: '::ffff:10.0.0.2/120' }, { address: '2001:db8::1/64' }] }, '0.4.0')
  t.strictSame((out.ips as { version: string }[]).map((i) => i.version), ['4', '6'])
})
