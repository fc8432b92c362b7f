// The semantic fake's tc: tbf arithmetic (numbers read from real `tc -j qdisc show` on this
// machine), clsact/ingress, u32 filters with mirred, and the error texts of iproute2 6.1.
import t, { type Test } from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { HostError } from '../../../src/host/types.js'

const world = async () => {
  const host = createSemanticHost()
  await host.ip.run([['link', 'add', 'name', 'va', 'type', 'veth', 'peer', 'name', 'vb'], ['link', 'add', 'ifb0', 'type', 'ifb']])
  return host
}

const qdiscs = async (host: Awaited<ReturnType<typeof world>>, dev: string): Promise<any[]> => host.tc.json<any[]>(['qdisc', 'show', 'dev', dev])
const refused = async (t: Test, host: Awaited<ReturnType<typeof world>>, cmd: string[], stderr: string) => {
  const before = host.snapshot()
  const err = await host.tc.run([cmd]).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof HostError, cmd.join(' '))
  t.equal((err as HostError).stderr, stderr)
  t.same(host.snapshot(), before, 'nothing changed')
}

t.test('tbf: what the kernel stores and tc prints, for latency and limit forms', async (t) => {
  const cases: [string[], object][] = [
    [['rate', '1mbit', 'burst', '32kb', 'latency', '25ms'], { rate: 125000, burst: 32768, lat: 25000 }],
    [['rate', '1000000bit', 'burst', '12500', 'limit', '100000'], { rate: 125000, burst: 12500, lat: 700000 }],
    [['rate', '123456789bit', 'burst', '7777', 'latency', '333ms'], { rate: 15432098, burst: 7762, lat: 333000 }],
    [['rate', '3kbps', 'burst', '1k', 'limit', '2k'], { rate: 3000, burst: 1023, lat: 341333 }],
    [['rate', '3mbit', 'burst', '10kb', 'latency', '10ms'], { rate: 375000, burst: 10239, lat: 10000 }],
  ]
  for (const [opts, options] of cases) {
    const host = await world()
    await host.tc.run([['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'tbf', ...opts]])
    t.same(await qdiscs(host, 'va'), [{ kind: 'tbf', handle: '1:', root: true, options }], opts.join(' '))
  }
})

t.test('root qdisc: default on up, exclusivity, delete back to the default (or noop while down)', async (t) => {
  const host = await world()
  t.same(await qdiscs(host, 'va'), [], 'never up: no qdisc')
  await host.ip.run([['link', 'set', 'dev', 'va', 'up'], ['link', 'set', 'dev', 'ifb0', 'up']])
  t.same(await qdiscs(host, 'va'), [{ kind: 'noqueue', handle: '0:', root: true, options: {} }])
  t.match(await qdiscs(host, 'ifb0'), [{ kind: 'pfifo_fast', options: { bands: 3, multiqueue: false } }])
  await refused(t, host, ['qdisc', 'del', 'dev', 'va', 'root'], 'Error: Cannot delete qdisc with handle of zero.\n')
  await host.tc.run([['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '32kb', 'latency', '25ms']])
  t.equal((await host.ip.json<any[]>(['link', 'show', 'dev', 'va']))[0].qdisc, 'tbf')
  await refused(t, host, ['qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '32kb', 'latency', '25ms'], 'Error: Exclusivity flag on, cannot modify.\n')
  await refused(t, host, ['qdisc', 'del', 'dev', 'va', 'root', 'handle', '2:'], 'Error: Invalid handle.\n')
  await refused(t, host, ['qdisc', 'add', 'dev', 'va', 'root', 'tbf', 'rate', '1mbit', 'latency', '10ms'], 'tbf: the "burst" parameter is mandatory.\nUsage: ... tbf limit BYTES burst BYTES[/BYTES] rate KBPS [ mtu BYTES[/BYTES] ]\n\t[ peakrate KBPS ] [ latency TIME ] [ overhead BYTES ] [ linklayer TYPE ]\n')
  await host.tc.run([['qdisc', 'replace', 'dev', 'va', 'root', 'handle', '1:', 'tbf', 'rate', '3mbit', 'burst', '10kb', 'latency', '10ms']])
  t.match(await qdiscs(host, 'va'), [{ options: { rate: 375000 } }], 'replace changes it')
  await host.tc.run([['qdisc', 'del', 'dev', 'va', 'root']])
  t.same(await qdiscs(host, 'va'), [{ kind: 'noqueue', handle: '0:', root: true, options: {} }], 'back to the default while up')
  await host.tc.run([['qdisc', 'add', 'dev', 'va', 'root', 'tbf', 'rate', '1mbit', 'burst', '10kb', 'limit', '20kb']])
  t.match(await qdiscs(host, 'va'), [{ handle: '8001:' }], 'no handle: the kernel picks 8001:')
  await host.ip.run([['link', 'set', 'dev', 'va', 'down']])
  await host.tc.run([['qdisc', 'del', 'dev', 'va', 'root']])
  t.same(await qdiscs(host, 'va'), [], 'deleted while down: noop')
  t.equal((await host.ip.json<any[]>(['link', 'show', 'dev', 'va']))[0].qdisc, 'noop')
  await refused(t, host, ['qdisc', 'add', 'dev', 'nope', 'root', 'tbf', 'rate', '1mbit', 'burst', '10kb', 'limit', '20kb'], 'Cannot find device "nope"\n')
})

t.test('clsact and u32 filters with mirred: JSON, ids, deletion', async (t) => {
  const host = await world()
  const filters = async (): Promise<any[]> => host.tc.json<any[]>(['filter', 'show', 'dev', 'va', 'ingress'])
  t.same(await filters(), [], 'no clsact: no filters, no error')
  await refused(t, host, ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0'],
    'Error: Parent Qdisc doesn\'t exists.\nWe have an error talking to the kernel\n')
  await host.tc.run([['qdisc', 'add', 'dev', 'va', 'clsact']])
  t.same(await qdiscs(host, 'va'), [{ kind: 'clsact', handle: 'ffff:', parent: 'ffff:fff1', options: {} }])
  await refused(t, host, ['qdisc', 'add', 'dev', 'va', 'ingress'], 'Error: Exclusivity flag on, cannot modify.\n')
  await host.tc.run([
    ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'handle', '800::1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0'],
    ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '3', 'protocol', 'all', 'u32', 'match', 'ip', 'dst', '10.0.0.0/8', 'action', 'mirred', 'egress', 'mirror', 'dev', 'vb'],
  ])
  const head1 = { protocol: 'all', pref: 1, kind: 'u32', chain: 0 }
  const head3 = { ...head1, pref: 3 }
  t.same(await filters(), [
    head1,
    { ...head1, options: { fh: '800:', ht_divisor: 1 } },
    { ...head1, options: { fh: '800::1', order: 1, key_ht: '800', bkt: '0', not_in_hw: true, match: { value: '0', mask: '0', offmask: '', off: 0 },
      actions: [{ order: 1, kind: 'mirred', mirred_action: 'redirect', direction: 'egress', to_dev: 'ifb0', control_action: { type: 'stolen' }, index: 1, ref: 1, bind: 1 }] } },
    head3,
    { ...head3, options: { fh: '801:', ht_divisor: 1 } },
    { ...head3, options: { fh: '801::800', order: 2048, key_ht: '801', bkt: '0', not_in_hw: true, match: { value: 'a000000', mask: 'ff000000', offmask: '', off: 16 },
      actions: [{ order: 1, kind: 'mirred', mirred_action: 'mirror', direction: 'egress', to_dev: 'vb', control_action: { type: 'pipe' }, index: 2, ref: 1, bind: 1 }] } },
  ])
  const add1 = ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'handle', '800::1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0']
  await refused(t, host, add1, 'Error: Filter already exists.\nWe have an error talking to the kernel\n')
  await refused(t, host, ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'protocol', 'ip', 'u32', 'match', 'u32', '0', '0'], 'Error: Protocol mismatch for filter with specified priority.\nWe have an error talking to the kernel\n')
  await refused(t, host, ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '1', 'handle', '1', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0'], 'Illegal filter ID\n')
  await refused(t, host, ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '5', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'nope'],
    'Cannot find device "nope"\nbad action parsing\nparse_action: bad value (5:mirred)!\nIllegal "action"\n')
  await refused(t, host, ['filter', 'del', 'dev', 'va', 'ingress', 'prio', '7'], 'Error: Filter with specified priority/protocol not found.\nWe have an error talking to the kernel\n')
  await host.tc.run([['filter', 'del', 'dev', 'va', 'ingress', 'prio', '1']])
  await host.tc.run([['filter', 'add', 'dev', 'va', 'ingress', 'prio', '2', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ifb0']])
  t.match(await filters(), [{ pref: 2 }, { options: { fh: '802:' } }, { options: { fh: '802::800', actions: [{ index: 1 }] } }, { pref: 3 }, {}, {}],
    'hash tables are numbered cyclically, action indexes lowest-free')
  await host.ip.run([['link', 'del', 'ifb0']])
  t.match(await filters(), [{}, {}, { options: { actions: [{ to_dev: '*' }] } }, {}, {}, {}], 'a redirect to a deleted device prints *')
  await host.tc.run([['qdisc', 'del', 'dev', 'va', 'clsact']])
  t.same(await filters(), [], 'the filters go with clsact')
  await refused(t, host, ['qdisc', 'del', 'dev', 'va', 'clsact'], 'Error: Invalid handle.\n')
  await refused(t, host, ['qdisc', 'del', 'dev', 'vb', 'clsact'], 'Error: Cannot find specified qdisc on specified device.\n')
  await host.tc.run([['qdisc', 'add', 'dev', 'va', 'clsact'], ['filter', 'add', 'dev', 'va', 'ingress', 'prio', '9', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0']])
  t.match(await filters(), [{ pref: 9 }, { options: { fh: '800:' } }, { options: { fh: '800::800' } }], 'a fresh u32 table starts at 800: again')
})
