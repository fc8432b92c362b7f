// DEL completes when it has done all it can: a recorded value that can never be set again (MTU
// 68000, a multicast MAC) or a restore the kernel refuses is reported on stderr, every other value
// is still restored, the record is removed and DEL succeeds, so it can never wedge.
import t from 'tap'
import { NETNS, ORIGINAL, podHost, runTuning, tuningConf } from './pod-link-host.js'

const RECORD = '/run/cni/tuning/c1_eth0.json'
const TUNED = { mtu: 1400, address: 'c2:11:22:33:44:55', promisc: true, allmulti: true, txqlen: 2000 }
const sysctl = (host: ReturnType<typeof podHost>, k: string) => host.sysctls.get(`${NETNS}|${k}`)

const withRecord = (record: object) => {
  const host = podHost({ 'net/ipv4/conf/eth0/arp_filter': '1' }, undefined, TUNED)
  host.files.contents.set(RECORD, { content: JSON.stringify({ ...record, network: 'net1' }), mode: 0o600 })
  return host
}

const full = { mac: ORIGINAL.address, promisc: false, mtu: 1500, allmulti: false, txQLen: 1000, sysctl: { 'net/ipv4/conf/eth0/arp_filter': '0' } }

t.test('a recorded MTU out of the interface\'s range: skipped with a note, the rest restored, record removed, DEL succeeds', async (t) => {
  const host = withRecord({ ...full, mtu: 68000 })
  const del = await runTuning(host, 'DEL', tuningConf({}))
  t.equal(del.code, 0, JSON.stringify(del.out))
  t.same(host.link, { ...ORIGINAL, mtu: 1400 }, 'everything but the MTU restored')
  t.equal(sysctl(host, 'net/ipv4/conf/eth0/arp_filter'), '0')
  t.notOk(host.files.contents.has(RECORD), 'record removed')
  t.same(del.warnings, [`tuning: mtu not restored: the recorded 68000 is outside the interface's range 68-65535 (${RECORD})`])
  t.notOk(host.calls.some((c) => (c.args as string[]).includes('68000')), 'the impossible value is not even tried')
  const again = await runTuning(host, 'DEL', tuningConf({}))
  t.same([again.code, again.warnings], [0, []], 'the next DEL has nothing to do')
})

t.test('a recorded multicast or all-zero MAC is skipped with a note', async (t) => {
  for (const mac of ['01:00:5e:00:00:01', '00:00:00:00:00:00']) {
    const host = withRecord({ ...full, mac })
    const del = await runTuning(host, 'DEL', tuningConf({}))
    t.equal(del.code, 0)
    t.equal(host.link.address, TUNED.address)
    t.equal(host.link.mtu, 1500)
    t.match(del.warnings, [new RegExp(`^tuning: mac not restored: the recorded "${mac}" is (a multicast address|all zeros)`)])
  }
})

t.test('a restore the kernel refuses is reported; the others still run; the record goes; DEL succeeds', async (t) => {
  const host = withRecord(full)
  host.failures.set(`ip link set dev eth0 address ${ORIGINAL.address}@${NETNS}`, 'RTNETLINK answers: Cannot assign requested address')
  host.failures.set(`sysctl net/ipv4/conf/eth0/arp_filter@${NETNS}`, 'sysctl: permission denied on key "net.ipv4.conf.eth0.arp_filter"')
  const del = await runTuning(host, 'DEL', tuningConf({}))
  t.equal(del.code, 0, JSON.stringify(del.out))
  t.same(host.link, { ...ORIGINAL, address: TUNED.address }, 'mtu, promisc, allmulti, txqlen restored past the failed MAC')
  t.notOk(host.files.contents.has(RECORD))
  t.same(del.warnings, [
    `tuning: ip link set dev eth0 address ${ORIGINAL.address} (in ${NETNS}) failed: ip link set dev eth0 address ${ORIGINAL.address}: RTNETLINK answers: Cannot assign requested address`,
    `tuning: sysctl net/ipv4/conf/eth0/arp_filter=0 (in ${NETNS}) failed: sysctl net/ipv4/conf/eth0/arp_filter: sysctl: permission denied on key "net.ipv4.conf.eth0.arp_filter"`,
  ])
})

t.test('a clean DEL prints nothing', async (t) => {
  const host = withRecord(full)
  const del = await runTuning(host, 'DEL', tuningConf({}))
  t.same([del.code, del.warnings], [0, []])
  t.same(host.link, ORIGINAL)
})

t.test('removing the record is not best effort: an I/O error fails DEL (and the retry can finish)', async (t) => {
  const host = withRecord(full)
  const remove = host.files.remove
  let fail = true
  host.files.remove = async (p) => {
    if (fail) { fail = false; throw Object.assign(new Error(`EIO: i/o error, unlink '${p}'`), { code: 'EIO' }) }
    return remove(p)
  }
  const del = await runTuning(host, 'DEL', tuningConf({}))
  t.equal(del.code, 1)
  t.match(del.out.msg, /EIO/)
  t.equal((await runTuning(host, 'DEL', tuningConf({}))).code, 0, 'the retry removes it')
  t.notOk(host.files.contents.has(RECORD))
  t.same(host.link, ORIGINAL)
})
