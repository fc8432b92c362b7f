// bin/tuning on a real kernel, issue 8 item 7: a 300-character container id (the record name used
// to exceed NAME_MAX: ENAMETOOLONG on ADD, and a DEL that could never succeed) and records holding
// values the kernel refuses (MTU 68000, a sysctl value "abc"): DEL restores what it can, prints the
// rest on stderr, removes the record and succeeds; the next DEL has nothing to do.
import { readdir, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { createPod, createTopology, e2eSkip, linkJson, readSysctl, run, runPlugin } from './lib/harness.js'

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('tuning: a 300-character container id, and records the kernel refuses, never wedge DEL', async (t) => {
    const topo = await createTopology(t)
    const pod = await createPod(t, topo, 'tunedel')
    const mk = await run(pod, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0'])
    t.equal(mk.exitCode, 0, mk.stderr)
    const dataDir = join(topo.dir, 'tuning')
    const conf = {
      cniVersion: '1.0.0', name: 'delnet', type: 'tuning', dataDir, mtu: 1400,
      sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1' },
      prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: pod.path }], ips: [] },
    }
    const env = (verb: string, id: string) => ({ CNI_COMMAND: verb, CNI_CONTAINERID: id, CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' })
    const mtu = async () => (await linkJson(pod, 'eth0'))?.mtu
    const arpFilter = () => readSysctl(pod, 'net/ipv4/conf/eth0/arp_filter')
    const original = { mtu: await mtu(), arp: await arpFilter() }
    t.same(original, { mtu: 1500, arp: '0' })

    await t.test('a 300-character container id: ADD, then DEL restores and removes the record', async (t) => {
      const id = `c${'0123456789'.repeat(30)}`.slice(0, 300)
      const add = await runPlugin(topo, 'tuning', env('ADD', id), conf)
      t.equal(add.exitCode, 0, `ADD: ${add.stdout}${add.stderr}`)
      t.same([await mtu(), await arpFilter()], [1400, '1'])
      const names = await readdir(dataDir)
      t.equal(names.length, 1)
      t.ok(Buffer.byteLength(names[0] ?? '') < 255 && names[0]?.startsWith(id.slice(0, 64)), `a name that fits: ${names[0]}`)
      const del = await runPlugin(topo, 'tuning', env('DEL', id), conf)
      t.equal(del.exitCode, 0, `DEL: ${del.stdout}${del.stderr}`)
      t.same({ mtu: await mtu(), arp: await arpFilter() }, original)
      t.same(await readdir(dataDir), [])
    })

    await t.test('a record the kernel refuses: the rest restored, the refused values on stderr, DEL succeeds once and for all', async (t) => {
      const add = await runPlugin(topo, 'tuning', env('ADD', 'bad'), { ...conf, txQLen: 77 })
      t.equal(add.exitCode, 0, `ADD: ${add.stdout}${add.stderr}`)
      // the record damaged after ADD: an MTU no interface takes, a sysctl value the kernel refuses
      await mkdir(dataDir, { recursive: true })
      await writeFile(join(dataDir, 'bad_eth0.json'), JSON.stringify({ mtu: 68000, txQLen: 1000, sysctl: { 'net/ipv4/conf/eth0/arp_filter': 'abc' }, network: 'delnet' }))
      const del = await runPlugin(topo, 'tuning', env('DEL', 'bad'), conf)
      t.equal(del.exitCode, 0, `DEL succeeds: ${del.stdout}`)
      t.equal((await linkJson(pod, 'eth0'))?.txqlen, 1000, 'txqueuelen restored')
      t.equal(await mtu(), 1400, 'the MTU stays (68000 is impossible)')
      t.equal(await arpFilter(), '1', 'the sysctl stays ("abc" is refused)')
      t.match(del.stderr, /tuning: mtu not restored: the recorded 68000 is outside the interface's range 68-65535/)
      t.match(del.stderr, /tuning: sysctl net\/ipv4\/conf\/eth0\/arp_filter=abc .*failed: /)
      t.same(await readdir(dataDir), [], 'record removed')
      const again = await runPlugin(topo, 'tuning', env('DEL', 'bad'), conf)
      t.same([again.exitCode, again.stderr], [0, ''], 'the next DEL has nothing to do')
    })
  })
}
