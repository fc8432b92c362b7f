// Record file names always fit: a container id of any length gets a name under NAME_MAX (readable
// when short, hashed when long), ADD and DEL work through the real file seam with a 300-character
// id, and DEL and GC also find a long readable name an older version may have written.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { MAX_READABLE_NAME, recordFileName, recordFileNames } from '../../../meta-plugins/tuning/record.js'
import { realFiles } from '../../../src/host/files.js'
import { IFNAME, ORIGINAL, podHost, runTuning, tuningConf } from './pod-link-host.js'

const id = (n: number, c = 'a'): string => c.repeat(n)

t.test('names: the reference\'s readable form when short, a hashed form when long, always under NAME_MAX', async (t) => {
  t.equal(recordFileName('dummy', 'dummy0'), 'dummy_dummy0.json')
  const long = recordFileName(id(300), IFNAME)
  t.match(long, new RegExp(`^${id(64)}~[0-9a-f]{32}_${IFNAME}\\.json$`))
  t.ok(Buffer.byteLength(recordFileName(id(4000), 'a-15-byte-name!')) <= 118)
  t.not(recordFileName(id(300), IFNAME), recordFileName(`${id(299)}b`, IFNAME), 'ids with the same prefix differ')
  t.not(recordFileName(id(300), 'eth0'), recordFileName(id(300), 'eth1'), 'the interface is part of the hash')
  const edge = MAX_READABLE_NAME - `_${IFNAME}.json`.length
  t.equal(recordFileName(id(edge), IFNAME), `${id(edge)}_${IFNAME}.json`, 'exactly the limit: readable')
  t.match(recordFileName(id(edge + 1), IFNAME), /~/, 'one more: hashed')
})

t.test('names DEL and GC look for: the current one, and a long readable one that fits NAME_MAX', async (t) => {
  t.same(recordFileNames('c1', IFNAME), ['c1_eth0.json'])
  t.same(recordFileNames(id(220), IFNAME), [recordFileName(id(220), IFNAME), `${id(220)}_eth0.json`])
  t.same(recordFileNames(id(300), IFNAME), [recordFileName(id(300), IFNAME)], 'a name over NAME_MAX never existed')
})

t.test('ADD then DEL with a 300-character container id, through the real file seam', async (t) => {
  const dataDir = join(t.testdir(), 'tuning')
  const host = podHost({ 'net/ipv4/conf/eth0/arp_filter': '0' }, realFiles)
  const conf = tuningConf({ mtu: 1400, sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1' } }, dataDir)
  const add = await runTuning(host, 'ADD', conf, id(300))
  t.equal(add.code, 0, JSON.stringify(add.out))
  t.same(readdirSync(dataDir), [recordFileName(id(300), IFNAME)])
  t.equal(host.link.mtu, 1400)
  const del = await runTuning(host, 'DEL', conf, id(300))
  t.equal(del.code, 0, JSON.stringify(del.out))
  t.same(host.link, ORIGINAL, 'restored')
  t.equal(host.sysctls.get('/var/run/netns/pod|net/ipv4/conf/eth0/arp_filter'), '0')
  t.same(readdirSync(dataDir), [], 'record removed')
  t.equal((await runTuning(host, 'DEL', conf, id(300))).code, 0, 'DEL again: nothing to do')
})

t.test('a record under an older long readable name: DEL restores from it and removes it', async (t) => {
  const dataDir = join(t.testdir(), 'tuning')
  const host = podHost({}, realFiles, { mtu: 1400 })
  const cid = id(220)
  await realFiles.write(join(dataDir, `${cid}_${IFNAME}.json`), JSON.stringify({ mtu: 1500, network: 'net1' }), 0o600)
  const del = await runTuning(host, 'DEL', tuningConf({}, dataDir), cid)
  t.equal(del.code, 0, JSON.stringify(del.out))
  t.equal(host.link.mtu, 1500)
  t.same(readdirSync(dataDir), [])
})

t.test('ADD moves a record from the older name to the current one, keeping the originals', async (t) => {
  const dataDir = join(t.testdir(), 'tuning')
  const host = podHost({}, realFiles, { mtu: 1400 })
  const cid = id(220)
  const old = join(dataDir, `${cid}_${IFNAME}.json`)
  await realFiles.write(old, JSON.stringify({ mtu: 1500, network: 'net1' }), 0o600)
  const add = await runTuning(host, 'ADD', tuningConf({ mtu: 1300 }, dataDir), cid)
  t.equal(add.code, 0, JSON.stringify(add.out))
  t.notOk(existsSync(old))
  const current = join(dataDir, recordFileName(cid, IFNAME))
  t.same(JSON.parse((await realFiles.read(current)) ?? '{}'), { mtu: 1500, network: 'net1' }, 'the first original, not 1400')
  t.equal((await runTuning(host, 'DEL', tuningConf({}, dataDir), cid)).code, 0)
  t.equal(host.link.mtu, 1500)
})

t.test('GC keeps the records of valid attachments under either name', async (t) => {
  const dataDir = join(t.testdir(), 'tuning')
  const host = podHost({}, realFiles)
  const rec = JSON.stringify({ mtu: 1500, network: 'net1' })
  const names = [recordFileName(id(300), IFNAME), `${id(220)}_${IFNAME}.json`, recordFileName(id(300, 'b'), IFNAME)]
  for (const n of names) await realFiles.write(join(dataDir, n), rec, 0o600)
  const valid = [{ containerID: id(300), ifname: IFNAME }, { containerID: id(220), ifname: IFNAME }]
  const gc = await runTuning(host, 'GC', { cniVersion: '1.1.0', name: 'net1', type: 'tuning', dataDir, 'cni.dev/valid-attachments': valid })
  t.equal(gc.code, 0, JSON.stringify(gc.out))
  t.same(readdirSync(dataDir).sort(), names.slice(0, 2).sort(), 'only the stale hashed record went')
})
