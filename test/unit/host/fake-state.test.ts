// The semantic fake's sysctls, files, conntrack, failure injection and snapshot.
import t from 'tap'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import { HostError } from '../../../src/host/types.js'

const POD = '/run/netns/pod'

t.test('sysctls: only existing keys; a failing entry does not stop the others; integers are checked', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.setSysctls(POD, { 'net/core/somaxconn': '4096', 'net/ipv4/ip_local_port_range': '32768\t60999' })
  t.same(await host.sysctl.read(['net/core/somaxconn', 'net/ipv4/nope'], POD), ['4096', undefined])
  const err = await host.sysctl.write([['net/ipv4/nope', '1'], ['net/core/somaxconn', ' 0100 ']], POD).catch((e: unknown) => e) as HostError
  t.ok(err instanceof HostError)
  t.equal(err.reason, 'not-found')
  t.match(err.stderr, /cannot stat \/proc\/sys\/net\/ipv4\/nope: No such file or directory/)
  t.equal(host.sysctlValue(POD, 'net/core/somaxconn'), '100', 'the other entry was written, as the kernel prints it')
  await t.rejects(host.sysctl.write([['net/core/somaxconn', 'lots']], POD), /Invalid argument/)
  await host.sysctl.write([['net/ipv4/ip_local_port_range', '1000 2000']], POD)
  t.equal(host.sysctlValue(POD, 'net/ipv4/ip_local_port_range'), '1000 2000')
  await t.rejects(host.sysctl.read(['kernel/hostname'], POD), /refusing/)
  await t.rejects(host.sysctl.write([['net/../kernel/x', '1']], POD), /refusing sysctl key/)
  t.same(host.calls.map((c) => c.args), [['net/ipv4/nope', '1'], ['net/core/somaxconn', ' 0100 '], ['net/core/somaxconn', 'lots'], ['net/ipv4/ip_local_port_range', '1000 2000']])
})

t.test('files: parents are created and stay; list names files and directories', async (t) => {
  const host = createSemanticHost()
  await host.files.write('/run/cni/pm/attachments/a', 'x', 0o600)
  await host.files.write('/run/cni/pm/localnet/cni0/a', '', 0o600)
  t.same(await host.files.list('/run/cni/pm'), ['attachments', 'localnet'])
  t.same(await host.files.list('/run/cni/nope'), [])
  t.equal(await host.files.read('/run/cni/pm/attachments/a'), 'x')
  await host.files.remove('/run/cni/pm/localnet/cni0/a')
  await host.files.remove('/run/cni/pm/localnet/cni0/a')
  t.same(await host.files.list('/run/cni/pm/localnet'), ['cni0'], 'the directory stays, as on a real host')
  t.match(host.snapshot(), { dirs: ['/run', '/run/cni', '/run/cni/pm', '/run/cni/pm/attachments', '/run/cni/pm/localnet', '/run/cni/pm/localnet/cni0'] })
  await t.rejects(host.files.write('/run/cni/pm/attachments/a/b', 'x', 0o600), { code: 'EEXIST' }, 'mkdir -p through a file: EEXIST, as node:fs says')
  await t.rejects(host.files.remove('/run/cni/pm/localnet'), { code: 'ERR_FS_EISDIR' })
  host.failWhen((c) => c.tool === 'files')
  await t.rejects(host.files.write('/run/x', 'y', 0o600), { code: 'EIO' })
  t.equal(await host.files.read('/run/x'), undefined, 'an injected failure writes nothing')
  t.same(host.reads.slice(0, 3), ['files list /run/cni/pm', 'files list /run/cni/nope', 'files read /run/cni/pm/attachments/a'])
})

t.test('conntrack is recorded, changes nothing, and can fail', async (t) => {
  const host = createSemanticHost()
  const before = host.snapshot()
  await host.conntrack.deleteByPort('ipv4', 'udp', 53)
  t.same(host.conntrackDeletes, [{ family: 'ipv4', protocol: 'udp', port: 53 }])
  t.same(host.snapshot(), before)
  host.failAt(1)
  await t.rejects(host.conntrack.deleteByPort('ipv6', 'udp', 53), HostError)
})

t.test('failAt counts every effectful call of every kind; the failed one has no effect', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  host.addLink(POD, { name: 'eth0', kind: 'device' })
  host.setSysctls(POD, { 'net/core/somaxconn': '1' })
  host.failAt(2, 'RTNETLINK answers: Operation not permitted')
  await host.files.write('/a', 'x', 0o600)
  await host.sysctl.write([['net/core/somaxconn', '2']], POD)
  const err = await host.ip.run([['link', 'set', 'dev', 'eth0', 'mtu', '1400'], ['link', 'set', 'dev', 'eth0', 'up']], POD).catch((e: unknown) => e) as HostError
  t.equal(err.stderr, 'RTNETLINK answers: Operation not permitted\nCommand failed -:1\n')
  t.equal(host.link(POD, 'eth0')?.mtu, 1500)
  t.equal(host.link(POD, 'eth0')?.up, false, 'the batch stopped at the failed line')
  t.same(host.calls.map((c) => c.tool), ['files', 'sysctl', 'ip'])
})

t.test('snapshot: everything that is state, canonical; reads and counters are not state', async (t) => {
  const host = createSemanticHost()
  host.addNamespace(POD)
  const before = host.snapshot()
  await host.ip.run([['link', 'add', 'ifb0', 'type', 'ifb']], POD)
  t.notSame(host.snapshot(), before)
  await host.ip.run([['link', 'del', 'ifb0']], POD)
  await host.ip.json(['link', 'show'], POD)
  t.same(host.snapshot(), before, 'an ifb added and deleted leaves nothing (the ifindex counter is not state)')
  t.same(Object.keys(host.snapshot() as object), ['dirs', 'files', 'namespaces'])
  t.same(Object.keys((host.snapshot() as any).namespaces), ['', POD])
})
