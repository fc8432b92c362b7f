// readsOnce (chain/plugin/read-once.ts): during one planning pass the same read runs once, each
// caller gets its own copy, and different arguments or namespaces are different reads.
import t from 'tap'
import { readsOnce } from '../../../chain/plugin/read-once.js'
import { createSemanticHost } from '../../../src/host/fake/index.js'

const setup = () => {
  const host = createSemanticHost()
  host.addNamespace('/run/netns/pod')
  host.addVethPair({ ns: '/run/netns/pod', name: 'eth0' }, { ns: undefined, name: 'veth1' })
  host.setSysctls('/run/netns/pod', { 'net/core/somaxconn': '4096' })
  return host
}

t.test('the same read twice: one process, equal answers, separate copies', async (t) => {
  const host = setup()
  const view = readsOnce(host)
  const [a, b] = await Promise.all([
    view.ip.json<{ ifname: string }[]>(['-d', 'link', 'show', 'dev', 'eth0'], '/run/netns/pod'),
    view.ip.json<{ ifname: string }[]>(['-d', 'link', 'show', 'dev', 'eth0'], '/run/netns/pod'),
  ])
  const c = await view.ip.json<{ ifname: string }[]>(['-d', 'link', 'show', 'dev', 'eth0'], '/run/netns/pod')
  t.equal(host.reads.filter((r) => r.startsWith('ip ')).length, 1, 'one ip read')
  t.same(a, b)
  t.same(a, c)
  ;(a[0] as { ifname: string }).ifname = 'changed'
  t.equal(c[0]?.ifname, 'eth0', 'a caller changing its answer changes no other')
  await view.sysctl.read(['net/core/somaxconn'], '/run/netns/pod')
  await view.sysctl.read(['net/core/somaxconn'], '/run/netns/pod')
  t.equal(host.reads.filter((r) => r.startsWith('sysctl')).length, 1, 'one sysctl read')
})

t.test('other arguments or another namespace: another read', async (t) => {
  const host = setup()
  const view = readsOnce(host)
  await view.ip.json(['-d', 'link', 'show', 'dev', 'eth0'], '/run/netns/pod')
  await view.ip.json(['-d', 'link', 'show', 'dev', 'veth1'])
  await view.ip.json(['-d', 'link', 'show', 'dev', 'veth1'], undefined)
  await view.tc.json(['qdisc', 'show', 'dev', 'veth1'])
  t.equal(host.reads.length, 3)
})

t.test('a failed read fails every asker the same way', async (t) => {
  const host = setup()
  const view = readsOnce(host)
  await t.rejects(view.ip.json(['-d', 'link', 'show', 'dev', 'nope'], '/run/netns/pod'))
  await t.rejects(view.ip.json(['-d', 'link', 'show', 'dev', 'nope'], '/run/netns/pod'))
  t.equal(host.reads.length, 1)
})
