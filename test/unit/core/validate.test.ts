import t from 'tap'
import {
  checkAttachment, checkContainerId, checkInterfaceName, checkNetworkName, interfaceNameProblem, isValidContainerId, isValidInterfaceName, isValidNetworkName,
} from '../../../src/cni/validate.js'

t.test('container ids and network names: [A-Za-z0-9][A-Za-z0-9_.-]*', async (t) => {
  for (const ok of ['a', 'abc123', 'A_b.c-d', '0', 'f'.repeat(64)]) {
    t.ok(isValidContainerId(ok), ok)
    t.ok(isValidNetworkName(ok), ok)
  }
  for (const bad of ['', '_a', '-a', '.a', 'a/b', 'a b', 'a;b', 'ä', 'a\n']) {
    t.notOk(isValidContainerId(bad), JSON.stringify(bad))
    t.notOk(isValidNetworkName(bad), JSON.stringify(bad))
  }
})

t.test('interface names: 1-15 bytes, not . or .., no / : or whitespace', async (t) => {
  for (const ok of ['eth0', 'a', 'x'.repeat(15), 'veth-1.2', 'net@1']) t.ok(isValidInterfaceName(ok), ok)
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['x'.repeat(16), /longer than 15 bytes/],
    ['é'.repeat(8), /longer than 15 bytes/],
    ['.', /not allowed/],
    ['..', /not allowed/],
    ['a/b', /invalid character/],
    ['a:b', /invalid character/],
    ['a b', /invalid character/],
    ['a\tb', /invalid character/],
    ['a\u00a0b', /invalid character/],
    ['a\0', /invalid character/],
  ]
  for (const [name, why] of cases) t.match(interfaceNameProblem(name), why, JSON.stringify(name))
})

// the one check every entry point runs (issue 8, item 1): libcni's codes, traversal never passes
t.test('checkAttachment: libcni codes (network 7, empty container id 3, others 4), checked in that order', async (t) => {
  t.doesNotThrow(() => checkAttachment({ network: 'net1', containerId: 'ctr1', ifname: 'eth0' }))
  t.doesNotThrow(() => checkAttachment({ containerId: 'a.b_c-d', ifname: 'x";drop#' }), 'libcni allows quotes in ifnames')
  t.throws(() => checkAttachment({ network: '', containerId: 'c', ifname: 'eth0' }), { code: 7, msg: 'missing network name' })
  t.throws(() => checkAttachment({ network: '../x', containerId: '', ifname: '' }), { code: 7, msg: 'invalid characters found in network name' })
  t.throws(() => checkAttachment({ containerId: '', ifname: 'eth0' }), { code: 3, msg: 'missing containerID' })
  t.throws(() => checkAttachment({ containerId: 'c', ifname: '' }), { code: 4, msg: 'invalid interface name', details: 'interface name is empty' })
  const traversal: [string, string, string][] = [
    ['net1', 'a/../../../victim/y', 'eth0'],
    ['net1', '..', 'eth0'],
    ['net1', 'c1', '/../../../victim/x'],
    ['net1', 'c1', '..'],
    ['net1', 'c1', '.'],
    ['net1', 'c1', 'a\0b'],
    ['pod1/../../../elsewhere/net', 'c1', 'eth0'],
    ['..', 'c1', 'eth0'],
  ]
  for (const [network, containerId, ifname] of traversal) {
    t.throws(() => checkAttachment({ network, containerId, ifname }), { name: 'CniError' }, JSON.stringify([network, containerId, ifname]))
  }
})

t.test('the named checks: messages name the value and the variable', async (t) => {
  t.throws(() => checkContainerId('a/b', 'CNI_CONTAINERID'), { code: 4, msg: 'invalid CNI_CONTAINERID', details: /"a\/b" has invalid characters/ })
  t.throws(() => checkInterfaceName('a/b', 'CNI_IFNAME'), { code: 4, msg: 'invalid CNI_IFNAME', details: /invalid character/ })
  t.throws(() => checkNetworkName('a b'), { code: 7, details: /"a b" must match/ })
  t.throws(() => checkContainerId('x'.repeat(300).replace(/^/, '-')), { code: 4 })
  t.doesNotThrow(() => checkContainerId('x'.repeat(300)), 'libcni sets no length limit on container ids')
})
