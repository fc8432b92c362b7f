// The real ip/tc seam with names that `-batch` would re-split: libcni allows quotes in interface
// names, and in a batch line `"lo"` is read as lo. Such commands must act on the named device.
import t from 'tap'
import { commandHost } from '../../src/host/command.js'
import { realNetns } from '../../src/host/netns.js'
import { createNetns } from './lib/netns.js'
import { runOk } from './lib/proc.js'
import { e2eSkip } from './lib/skip.js'

t.test('ip commands with quote-bearing names reach that device, never lo', { skip: e2eSkip }, async (t) => {
  const ns = await createNetns(t, 'hostcmd')
  const odd = 'x"lo"'
  await runOk(ns, 'ip', ['link', 'add', odd, 'type', 'veth', 'peer', 'name', 'peer0'])
  const ip = commandHost('ip')
  await ip.run([['link', 'set', 'dev', odd, 'mtu', '1400'], ['link', 'set', 'dev', odd, 'up']], ns.path)
  const links = await ip.json<{ ifname: string; mtu: number; flags: string[] }[]>(['link', 'show'], ns.path)
  const byName = new Map(links.map((l) => [l.ifname, l]))
  t.equal(byName.get(odd)?.mtu, 1400, 'the odd-named veth got the mtu')
  t.ok(byName.get(odd)?.flags.includes('UP'), 'and is up')
  t.equal(byName.get('lo')?.mtu, 65536, 'lo is untouched')

  // a failing command stops the rest and is named like -batch names it
  const err = await ip.run([['link', 'set', 'dev', 'nope"x', 'mtu', '1300'], ['link', 'set', 'dev', odd, 'mtu', '1300']], ns.path).catch((e: Error) => e)
  t.match(String(err), /Command failed -:1/, 'the first command is named')
  const after = await ip.json<{ ifname: string; mtu: number }[]>(['link', 'show', 'dev', odd], ns.path)
  t.equal(after[0]?.mtu, 1400, 'nothing after the failure ran')
})

t.test('the netns seam accepts namespace files only', { skip: e2eSkip }, async (t) => {
  const ns = await createNetns(t, 'hostns')
  t.equal(await realNetns.exists(ns.path), true, 'a namespace bind mount')
  t.equal(await realNetns.exists('/proc/self/ns/net'), true, '/proc/self/ns/net')
  t.equal(await realNetns.exists('/etc/hostname'), false, 'a plain file is not a namespace')
  t.equal(await realNetns.exists('/run/netns/cc-does-not-exist'), false, 'a missing path')
})

t.test('tc reads asked together share one process and answer as alone; a failing one still gets its own error', { skip: e2eSkip }, async (t) => {
  const ns = await createNetns(t, 'hosttc')
  await runOk(ns, 'ip', ['link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'])
  await runOk(ns, 'tc', ['qdisc', 'add', 'dev', 'a0', 'root', 'tbf', 'rate', '1mbit', 'burst', '10kb', 'latency', '50ms'])
  await runOk(ns, 'tc', ['qdisc', 'add', 'dev', 'a0', 'clsact'])
  const tc = commandHost('tc')
  const reads: string[][] = [['qdisc', 'show', 'dev', 'a0'], ['filter', 'show', 'dev', 'a0', 'ingress'], ['qdisc', 'show', 'dev', 'b0']]
  const alone = []
  for (const r of reads) alone.push(await tc.json(r, ns.path))
  const traced: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.env.CNI_CHAIN_TRACE = '1'
  process.stderr.write = ((chunk: string | Uint8Array) => {
    traced.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  let together: unknown[]
  try {
    together = await Promise.all(reads.map((r) => tc.json(r, ns.path)))
  } finally {
    process.stderr.write = write
    delete process.env.CNI_CHAIN_TRACE
  }
  t.same(together, alone, 'the same answers')
  t.equal(traced.filter((l) => / tc /.test(l)).length, 1, `one tc process (${traced.join('')})`)
  t.match(JSON.stringify(together[0]), /"kind":"tbf"/)

  const mixed = await Promise.allSettled([tc.json(['qdisc', 'show', 'dev', 'a0'], ns.path), tc.json(['qdisc', 'show', 'dev', 'nope0'], ns.path)])
  t.equal(mixed[0]?.status, 'fulfilled', 'the good read is answered')
  t.same(mixed[0]?.status === 'fulfilled' ? mixed[0].value : undefined, alone[0])
  t.equal(mixed[1]?.status, 'rejected', 'the read of a missing device fails as it would alone')
  t.match(String(mixed[1]?.status === 'rejected' ? mixed[1].reason : ''), /Cannot find device/)
})
