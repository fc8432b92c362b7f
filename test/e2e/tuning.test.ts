// tuning under libcni (cnirun): bridge + host-local, then a spy plugin that snapshots the pod's
// interface and sysctls exactly as tuning will find them, then tuning. Checks every value inside
// the pod, the MAC in the result, libcni CHECK, that refused traversal keys change nothing, and
// that bin/tuning's own DEL restores everything to the spy's snapshot.
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import {
  bridgeConflist, cnirun, createPod, createTopology, e2eSkip, linkJson, readSysctl, run, runOk, runPlugin, writeConf,
  type Netns, type Topology,
} from './lib/harness.js'

const MAC = 'c2:11:22:33:44:55'
const SYSCTLS = { 'net.ipv4.conf.IFNAME.arp_filter': '1', 'net.core.somaxconn': '1234' }
const SYSCTL_PATHS = ['net/ipv4/conf/eth0/arp_filter', 'net/core/somaxconn']
const TRAVERSAL = ['net/../kernel/hostname', 'net.ipv4.conf.eth0/../../../../kernel/hostname', 'kernel.hostname']

// A pass-through CNI plugin: on ADD it writes `ip -j -d link show dev $CNI_IFNAME` and the
// sysctls named in its config (read inside CNI_NETNS) to conf.out, then prints prevResult.
const SPY = `#!/usr/bin/env node
const { execFileSync } = require('node:child_process')
const { writeFileSync } = require('node:fs')
let input = ''
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', () => {
  const conf = input ? JSON.parse(input) : {}
  const env = process.env
  if (env.CNI_COMMAND === 'VERSION') return console.log(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] }))
  if (env.CNI_COMMAND !== 'ADD') return
  const ns = (cmd) => execFileSync('nsenter', ['--net=' + env.CNI_NETNS, ...cmd], { encoding: 'utf8' })
  const link = JSON.parse(ns(['ip', '-j', '-d', 'link', 'show', 'dev', env.CNI_IFNAME]))[0]
  const sysctls = Object.fromEntries(conf.paths.map((p) => [p, ns(['cat', '/proc/sys/' + p]).trim()]))
  writeFileSync(conf.out, JSON.stringify({ link, sysctls }))
  console.log(JSON.stringify(conf.prevResult))
})
`

interface PodState {
  address: string
  mtu: number
  promisc: boolean
  allmulti: boolean
  txqlen: number
  sysctls: Record<string, string | undefined>
}

const stateOf = (link: any, sysctls: Record<string, string | undefined>): PodState => ({
  address: link.address,
  mtu: link.mtu,
  promisc: (link.flags as string[]).includes('PROMISC'),
  allmulti: (link.flags as string[]).includes('ALLMULTI'),
  txqlen: link.txqlen,
  sysctls,
})

const podState = async (pod: Netns): Promise<PodState> => {
  const sysctls: Record<string, string | undefined> = {}
  for (const p of SYSCTL_PATHS) sysctls[p] = await readSysctl(pod, p)
  return stateOf(await linkJson(pod, 'eth0'), sysctls)
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else {
  t.test('tuning under libcni: apply, CHECK, refuse traversal, DEL restores', async (t) => {
    const topo: Topology = await createTopology(t)
    const pod = await createPod(t, topo, 'tune')
    const spyDir = join(topo.dir, 'spy-bin')
    await mkdir(spyDir)
    await writeFile(join(spyDir, 'spy'), SPY)
    await chmod(join(spyDir, 'spy'), 0o755)
    const spyOut = join(topo.dir, 'spy.json')
    const dataDir = join(topo.dir, 'tuning')
    const tuning = { type: 'tuning', dataDir, sysctl: SYSCTLS, mtu: 1400, mac: MAC, promisc: true, allmulti: true, txQLen: 2000 }
    const conflist = await writeConf(topo, 'tuning.conflist', bridgeConflist(topo, {
      name: 'tunenet', subnet: '10.251.0.0/24', plugins: [{ type: 'spy', out: spyOut, paths: SYSCTL_PATHS }, tuning],
    }))
    const withSpy = { ...topo, cniPath: `${spyDir}:${topo.cniPath}` }
    const containerId = 'tuning-e2e'

    const add = await cnirun(withSpy, 'add', conflist, pod, { containerId })
    t.equal(add.exitCode, 0, `cnirun add: ${add.stderr}${add.stdout}`)
    const podIface = (add.json?.interfaces ?? []).find((i: any) => i.name === 'eth0' && i.sandbox)
    t.equal(podIface?.mac, MAC, 'the result carries the new MAC')

    const { link: beforeLink, sysctls: beforeSysctls } = JSON.parse(await readFile(spyOut, 'utf8'))
    const before = stateOf(beforeLink, beforeSysctls)
    t.not(before.address, MAC, 'the bridge plugin gave eth0 another MAC')
    t.same(await podState(pod), {
      address: MAC, mtu: 1400, promisc: true, allmulti: true, txqlen: 2000,
      sysctls: { 'net/ipv4/conf/eth0/arp_filter': '1', 'net/core/somaxconn': '1234' },
    }, 'every value applied inside the pod')
    t.same(await readdir(dataDir), [`${containerId}_eth0.json`], 'one record')

    const check = await cnirun(withSpy, 'check', conflist, pod, { containerId })
    t.equal(check.exitCode, 0, `cnirun check: ${check.stderr}${check.stdout}`)

    // traversal keys: refused with a CNI error, nothing in the pod or the node changes
    const hostname = async (ns: Netns): Promise<string> => (await run(ns, 'cat', ['/proc/sys/kernel/hostname'])).stdout
    const tuned = await podState(pod)
    const nodeHostname = await hostname(topo.node)
    const podHostname = await hostname(pod)
    for (const key of TRAVERSAL) {
      const r = await runPlugin(topo, 'tuning', {
        CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'traversal', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0',
      }, { cniVersion: '1.0.0', name: 'tunenet', ...tuning, mtu: 1300, sysctl: { [key]: 'pwned' }, prevResult: add.json })
      t.not(r.exitCode, 0, `${key}: refused`)
      t.equal(r.json?.code, 7, `${key}: CNI error code 7 (${r.stdout.trim()})`)
      t.notMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace')
    }
    t.same(await podState(pod), tuned, 'pod link and sysctls unchanged')
    t.equal(await hostname(topo.node), nodeHostname, 'node hostname unchanged')
    t.equal(await hostname(pod), podHostname, 'pod hostname unchanged')
    t.same(await readdir(dataDir), [`${containerId}_eth0.json`], 'no record for the refused ADDs')

    // an MTU below 1280 would take eth0's IPv6 address away for good: refused, nothing changes.
    // First the kernel's side on a scratch veth: below 1280 the IPv6 address is gone.
    const v6 = async (dev: string): Promise<string[]> =>
      (JSON.parse((await runOk(pod, 'ip', ['-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'global'])).stdout)[0]?.addr_info ?? []).filter((a: any) => a.local).map((a: any) => `${a.local}/${a.prefixlen}`)
    await runOk(pod, 'ip', ['link', 'add', 'ccprobe0', 'type', 'veth', 'peer', 'name', 'ccprobe1'])
    await runOk(pod, 'ip', ['addr', 'add', 'fd00:5:1::2/64', 'dev', 'ccprobe0', 'nodad'])
    t.same(await v6('ccprobe0'), ['fd00:5:1::2/64'], 'scratch veth: the address is there')
    await runOk(pod, 'ip', ['link', 'set', 'ccprobe0', 'mtu', '1200'])
    await runOk(pod, 'ip', ['link', 'set', 'ccprobe0', 'mtu', '1500'])
    t.same(await v6('ccprobe0'), [], 'the kernel removed it at MTU 1200, and MTU 1500 did not bring it back')
    await runOk(pod, 'ip', ['link', 'del', 'ccprobe0'])
    await runOk(pod, 'ip', ['addr', 'add', 'fd00:5::2/64', 'dev', 'eth0', 'nodad'])
    const withV6 = await podState(pod)
    const lowMtu = await runPlugin(topo, 'tuning', {
      CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'lowmtu', CNI_NETNS: pod.path, CNI_IFNAME: 'eth0',
    }, { cniVersion: '1.0.0', name: 'tunenet', type: 'tuning', dataDir, mtu: 1200, prevResult: add.json })
    t.equal(lowMtu.json?.code, 7, `mtu 1200 with an IPv6 address: code 7 (${lowMtu.stdout.trim()})`)
    t.match(lowMtu.json?.details, /fd00:5::2\/64/, 'the error names the address')
    t.same([await podState(pod), await v6('eth0')], [withV6, ['fd00:5::2/64']], 'MTU and address unchanged')
    await runOk(pod, 'ip', ['addr', 'del', 'fd00:5::2/64', 'dev', 'eth0'])
    t.same(await readdir(dataDir), [`${containerId}_eth0.json`], 'no record for the refused ADD')

    // a MAC on lo could never be set back (the kernel takes no all-zero MAC): refused, lo unchanged
    const loBefore = await linkJson(pod, 'lo')
    const loMac = await runPlugin(topo, 'tuning', {
      CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'lomac', CNI_NETNS: pod.path, CNI_IFNAME: 'lo',
    }, { cniVersion: '1.0.0', name: 'tunenet', type: 'tuning', dataDir, mac: MAC, prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'lo', sandbox: pod.path }], ips: [] } })
    t.equal(loMac.json?.code, 7, `a MAC on lo: code 7 (${loMac.stdout.trim()})`)
    t.same(await linkJson(pod, 'lo'), loBefore, 'lo unchanged')

    // bin/tuning DEL directly, while eth0 exists: back to what tuning found
    const del = await runPlugin(topo, 'tuning', {
      CNI_COMMAND: 'DEL', CNI_CONTAINERID: containerId, CNI_NETNS: pod.path, CNI_IFNAME: 'eth0',
    }, { cniVersion: '1.0.0', name: 'tunenet', ...tuning })
    t.equal(del.exitCode, 0, `tuning DEL: ${del.stdout}${del.stderr}`)
    t.same(await podState(pod), before, 'mtu, mac, promisc, allmulti, txqlen and both sysctls restored')
    t.same(await readdir(dataDir), [], 'record removed')

    const cleanup = await cnirun(withSpy, 'del', conflist, pod, { containerId })
    t.equal(cleanup.exitCode, 0, `cnirun del: ${cleanup.stderr}${cleanup.stdout}`)
    t.equal(await linkJson(pod, 'eth0'), undefined, 'eth0 gone after cnirun del')
  })
}

if (!e2eSkip) {
  t.test('records interoperate with the reference tuning (Debian /usr/lib/cni/tuning)', async (t) => {
    const topo = await createTopology(t)
    const pod = await createPod(t, topo, 'tuneref')
    const ok = await run(pod, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0'])
    t.equal(ok.exitCode, 0, ok.stderr)
    const dataDir = join(topo.dir, 'tuning')
    const settings = { mtu: 1300, mac: MAC, promisc: true }
    const conf = { cniVersion: '1.0.0', name: 'refnet', type: 'tuning', dataDir, ...settings }
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: pod.path }], ips: [] }
    const env = (verb: string, id: string) => ({ CNI_COMMAND: verb, CNI_CONTAINERID: id, CNI_NETNS: pod.path, CNI_IFNAME: 'eth0' })
    const original = await podState(pod)

    for (const [adder, deleter] of [['/usr/lib/cni/tuning', 'tuning'], ['tuning', '/usr/lib/cni/tuning']] as const) {
      const id = `interop-${adder.includes('/') ? 'ref' : 'ours'}`
      const add = await runPlugin(topo, adder, env('ADD', id), { ...conf, prevResult })
      t.equal(add.exitCode, 0, `${adder} ADD: ${add.stdout}${add.stderr}`)
      const tuned = await podState(pod)
      t.same([tuned.mtu, tuned.address, tuned.promisc], [1300, MAC, true], `${adder} applied`)
      const del = await runPlugin(topo, deleter, env('DEL', id), conf)
      t.equal(del.exitCode, 0, `${deleter} DEL: ${del.stdout}${del.stderr}`)
      t.same(await podState(pod), original, `${deleter} restored what ${adder} recorded`)
      t.same(await readdir(dataDir), [], 'record removed')
    }
  })
}
