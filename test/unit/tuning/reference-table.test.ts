// The reference tuning's test table (reference-plugins.md §1.7), as black-box cases through the
// dispatcher with a stateful FakeHost, for every spec version (CHECK from 0.4.0 on). Where the
// reference differs on purpose (case 1 records and restores the sysctl), the case says so.
import t from 'tap'
import { ALLOWLIST_PATH } from '../../../meta-plugins/tuning/observe.js'
import { CID, IFNAME, NETNS, ORIGINAL_LINK, ORIGINAL_SYSCTLS, RECORD, call, conf, tuningHost, type LinkModel } from './helpers.js'

const VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']
const MAC = 'c2:11:22:33:44:55'

interface Case {
  n: number
  name: string
  extra: object
  cniArgs?: string
  /** the link after ADD (unlisted attributes unchanged) */
  link?: Partial<LinkModel>
  sysctls?: Record<string, string>
  record?: string
  resultMac?: string
}

const cases: Case[] = [
  { n: 1, name: 'sysctl log_martians', extra: { sysctl: { 'net.ipv4.conf.all.log_martians': '1' } }, sysctls: { 'net/ipv4/conf/all/log_martians': '1' } },
  { n: 2, name: 'promisc', extra: { promisc: true }, link: { promisc: true } },
  { n: 3, name: 'args.cni.promisc', extra: { args: { cni: { promisc: true } } }, link: { promisc: true } },
  { n: 4, name: 'mtu', extra: { mtu: 1454 }, link: { mtu: 1454 } },
  { n: 5, name: 'args.cni.mtu', extra: { args: { cni: { mtu: 1454 } } }, link: { mtu: 1454 } },
  { n: 6, name: 'txQLen', extra: { txQLen: 20000 }, link: { txqlen: 20000 } },
  { n: 7, name: 'args.cni.txQLen', extra: { args: { cni: { txQLen: 20000 } } }, link: { txqlen: 20000 } },
  { n: 8, name: 'mac', extra: { mac: MAC }, link: { address: MAC }, resultMac: MAC },
  { n: 9, name: 'args.cni.mac', extra: { args: { cni: { mac: MAC } } }, link: { address: MAC }, resultMac: MAC },
  { n: 10, name: 'CNI_ARGS MAC', extra: {}, cniArgs: 'IgnoreUnknown=true;MAC=c2:11:22:33:44:66', link: { address: 'c2:11:22:33:44:66' }, resultMac: 'c2:11:22:33:44:66' },
  { n: 11, name: 'capability mac, RuntimeConfig capitalised', extra: { capabilities: { mac: true }, RuntimeConfig: { mac: MAC } }, link: { address: MAC }, resultMac: MAC },
  {
    n: 12, name: 'mac+promisc+mtu+txQLen with dataDir', extra: { mac: MAC, promisc: true, mtu: 4000, txQLen: 20000, dataDir: '/tmp/tuning-test' },
    link: { address: MAC, promisc: true, mtu: 4000, txqlen: 20000 }, record: '/tmp/tuning-test/dummy_dummy0.json', resultMac: MAC,
  },
  { n: 13, name: 'allmulti', extra: { allmulti: true }, link: { allmulti: true } },
  { n: 14, name: 'args.cni.allmulti', extra: { args: { cni: { allmulti: true } } }, link: { allmulti: true } },
  { n: 16, name: 'allowlist that matches', extra: { sysctl: { 'net.ipv4.conf.all.log_martians': '1' } }, sysctls: { 'net/ipv4/conf/all/log_martians': '1' } },
]

const ran = new Set<string>()

for (const version of VERSIONS) {
  const canCheck = version !== '0.3.0' && version !== '0.3.1'
  for (const c of cases) {
    t.test(`#${c.n} ${c.name} (${version})`, async (t) => {
      const host = tuningHost()
      if (c.n === 16) host.files.contents.set(ALLOWLIST_PATH, { content: '^net\\.ipv4\\.conf\\.all\\.[a-z_]*$\n', mode: 0o644 })
      const cfg = conf(version, c.extra)
      const opts = c.cniArgs ? { args: c.cniArgs } : {}

      const add = await call(host, 'ADD', cfg, opts)
      t.equal(add.code, 0, `ADD ok: ${add.stdout}`)
      t.equal(add.out.cniVersion, version)
      t.equal(add.out.interfaces.length, 1)
      t.equal(add.out.interfaces[0].name, IFNAME)
      t.equal(add.out.ips.length, 1)
      t.equal(add.out.ips[0].address, '10.0.0.2/24')
      t.equal(add.out.interfaces[0].mac, c.resultMac, 'result MAC')
      t.same(host.link, { ...ORIGINAL_LINK, ...c.link }, 'link after ADD')
      for (const [k, v] of Object.entries(c.sysctls ?? {})) t.equal(host.sysctlIn(k), v, `${k} after ADD`)
      const record = c.record ?? RECORD
      t.equal(host.files.contents.get(record)?.mode, 0o600, 'record written 0600')

      if (canCheck) {
        const check = await call(host, 'CHECK', { ...cfg, prevResult: add.out }, opts)
        t.equal(check.code, 0, `CHECK ok: ${check.stdout}`)
      }

      const del = await call(host, 'DEL', conf(version, c.extra, false), opts)
      t.equal(del.code, 0, `DEL ok: ${del.stdout}`)
      t.same(host.link, ORIGINAL_LINK, 'link restored by DEL')
      for (const [k, v] of Object.entries(ORIGINAL_SYSCTLS)) t.equal(host.sysctlIn(k), v, `${k} restored by DEL (the reference never restores sysctls)`)
      t.notOk(host.files.contents.has(record), 'record removed')
      ran.add(`${c.n}/${version}`)
    })
  }

  t.test(`#15 allowlist that does not match (${version})`, async (t) => {
    const host = tuningHost()
    host.files.contents.set(ALLOWLIST_PATH, { content: '^net\\.ipv4\\.conf\\.other\\.[a-z_]*$\n', mode: 0o644 })
    const r = await call(host, 'ADD', conf(version, { sysctl: { 'net.ipv4.conf.all.log_martians': '1' } }))
    t.equal(r.code, 1)
    t.equal(r.out.code, 7)
    t.match(r.out.msg, /not allowed/)
    t.same(host.calls, [], 'nothing written')
    ran.add(`15/${version}`)
  })

  t.test(`#17 duplicated sysctl key (${version})`, async (t) => {
    const host = tuningHost()
    const raw = JSON.stringify(conf(version, { sysctl: { 'net.ipv4.conf.all.log_martians': '1' } }))
      .replace('{"net.ipv4.conf.all.log_martians":"1"}', '{"net.ipv4.conf.all.log_martians":"1","net.ipv4.conf.all.log_martians":"0"}')
    t.match(raw, /log_martians.*log_martians/)
    const r = await call(host, 'ADD', raw)
    t.equal(r.code, 1)
    t.equal(r.out.code, 7)
    t.match(r.out.msg, /duplicated/)
    t.same(host.calls, [])
    t.same(host.reads, [], 'refused before any host read')
    ran.add(`17/${version}`)
  })

  t.test(`#18 ifname with a slash (${version})`, async (t) => {
    const host = tuningHost()
    const r = await call(host, 'ADD', conf(version, { mtu: 1454 }), { ifname: 'eth/0' })
    t.equal(r.code, 1)
    t.match(`${r.out.msg} ${r.out.details}`, /invalid character/)
    t.same(host.calls, [])
    ran.add(`18/${version}`)
  })
}

t.test('every case ran for every version', async (t) => {
  t.equal(ran.size, 18 * VERSIONS.length)
})

t.test('CNI_CONTAINERID and netns are what the cases use', async (t) => {
  t.equal(CID, 'dummy')
  t.ok(NETNS.startsWith('/'))
})
