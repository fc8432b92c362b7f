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
