import t from 'tap'
import { interfaceNameProblem, isValidContainerId, isValidInterfaceName, isValidNetworkName } from '../../../src/cni/validate.js'

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
