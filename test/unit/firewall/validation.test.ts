// Bad input → CNI error code 7 on stdout, non-zero exit, and not one host call (nft, files,
// iptables, firewalld). Good input: the reference's keys, case-insensitive, podman's conflist entry.
import t from 'tap'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import { firewallPlugin } from '../../../meta-plugins/firewall/plugin.js'
import { parseFirewallConfig } from '../../../meta-plugins/firewall/config.js'
import { baseConf, fwFake, prevResult } from './helpers.js'

const invoke = async (conf: object, command = 'ADD') => {
  const host = fwFake({ ipt: { 4: [], 6: [] } })
  let out = ''
  const code = await runPlugin(pluginFromMeta(firewallPlugin), {
    env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (s) => { out += s },
    stderr: () => undefined,
  }, () => host)
  return { code, out: JSON.parse(out || '{}'), host }
}

const withPrev = (extra: object) => baseConf({ prevResult: prevResult(['10.0.0.2/24']), ...extra })

const cases: [string, object, RegExp][] = [
  ['unknown backend', withPrev({ backend: 'ebtables' }), /backend "ebtables" is not one of/],
  ['backend in capitals', withPrev({ backend: 'IPTABLES' }), /backend "IPTABLES"/],
  ['backend not a string', withPrev({ backend: 1 }), /backend must be a string/],
  ['unknown ingress policy', withPrev({ ingressPolicy: 'closed' }), /unknown ingress policy "closed"/],
  ['admin chain with a blank', withPrev({ iptablesAdminChainName: 'CNI ADMIN' }), /iptablesAdminChainName/],
  ['admin chain starting with -', withPrev({ iptablesAdminChainName: '-j' }), /iptablesAdminChainName/],
  ['admin chain too long', withPrev({ iptablesAdminChainName: 'A'.repeat(29) }), /iptablesAdminChainName/],
  ['admin chain is a built-in', withPrev({ iptablesAdminChainName: 'FORWARD' }), /built-in chain/],
  ['admin chain is a target', withPrev({ iptablesAdminChainName: 'ACCEPT' }), /built-in chain or target/],
  ['zone with a slash', withPrev({ firewalldZone: 'a/b' }), /firewalldZone/],
  ['zone too long', withPrev({ firewalldZone: 'z'.repeat(18) }), /firewalldZone/],
  ['mark bit 32', withPrev({ acceptMarkBit: 32 }), /acceptMarkBit/],
  ['mark bit as a string', withPrev({ acceptMarkBit: '12' }), /acceptMarkBit/],
  ['stateDir relative', withPrev({ stateDir: 'run/x' }), /stateDir/],
  ['stateDir with ..', withPrev({ stateDir: '/run/../etc' }), /stateDir/],
  ['bridge name with a quote', baseConf({ ingressPolicy: 'same-bridge', prevResult: prevResult(['10.0.0.2/24'], 'br"0') }), /quote/],
  ['isolation without a bridge', baseConf({ ingressPolicy: 'isolated', prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] } }), /make sure to chain "firewall" after the "bridge"/],
]

for (const [name, conf, msg] of cases) {
  t.test(name, async (t) => {
    for (const command of ['ADD', 'DEL'] as const) {
      if (command === 'DEL' && /bridge/.test(name)) continue
      const r = await invoke(conf, command)
      t.equal(r.code, 1, `${command}: exit status 1`)
      t.equal(r.out.code, 7, `${command}: CNI code 7`)
      t.match(`${r.out.msg} ${r.out.details}`, msg, `${command}: message`)
      t.same([r.host.calls, r.host.extraCalls], [[], []], `${command}: no host call`)
    }
  })
}

t.test('ADD without prevResult is refused', async (t) => {
  const r = await invoke(baseConf())
  t.equal(r.out.code, 7)
  t.match(r.out.msg, /chained plugin/)
  t.same(r.host.calls, [])
})

t.test('defaults; the reference keys in any case; null is unset', async (t) => {
  const d = parseFirewallConfig(baseConf())
  t.same([d.backend, d.adminChain, d.zone, d.policy, d.mark, d.stateDir], [undefined, 'CNI-ADMIN', 'trusted', 'open', 0x1000, '/run/fwtest'])
  const c = parseFirewallConfig(baseConf({
    BACKEND: 'firewalld', IptablesAdminChainName: 'MY-ADMIN', FIREWALLDZONE: 'containers', ingresspolicy: 'isolated', acceptMarkBit: 0,
  }))
  t.same([c.backend, c.adminChain, c.zone, c.policy, c.mark], ['firewalld', 'MY-ADMIN', 'containers', 'isolated', 1])
  const n = parseFirewallConfig(baseConf({ backend: null, ingressPolicy: null, firewalldZone: '', iptablesAdminChainName: '' }))
  t.same([n.backend, n.policy, n.zone, n.adminChain], [undefined, 'open', 'trusted', 'CNI-ADMIN'])
  for (const backend of ['', 'iptables', 'firewalld', 'nftables']) t.doesNotThrow(() => parseFirewallConfig(baseConf({ backend })), `backend ${JSON.stringify(backend)}`)
})

t.test('every address of prevResult, any interface, normalized and deduplicated; the bridge is interfaces[0]', async (t) => {
  const c = parseFirewallConfig(baseConf({ prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'br7' }], ips: [
    { address: '10.0.0.2/24', interface: 0 }, { address: 'FD00:0:0::2/64' }, { address: '10.0.0.2/24' }, { address: '10.9.0.3/16', interface: 5 },
  ] } }))
  t.same([c.v4, c.v6, c.bridge], [['10.0.0.2', '10.9.0.3'], ['fd00::2'], 'br7'])
})

t.test("podman's conflist entries pass (0.4.0, backend \"\", same-bridge, unknown keys)", async (t) => {
  for (const extra of [{}, { backend: '' }, { ingressPolicy: 'same-bridge' }, { backend: 'iptables', Documentation: '/usr/share/doc/x.md' }]) {
    const conf = { cniVersion: '0.4.0', name: 'podman', type: 'firewall', stateDir: '/run/fwtest', ...extra,
      prevResult: { cniVersion: '0.4.0', interfaces: [{ name: 'cni-podman0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/p' }],
        ips: [{ version: '4', address: '10.88.0.5/16', gateway: '10.88.0.1', interface: 2 }] } }
    const r = await invoke(conf)
    t.equal(r.code, 0, `ADD ${JSON.stringify(extra)}: ${JSON.stringify(r.out)}`)
    t.same(r.out.ips?.[0]?.address, '10.88.0.5/16', 'prevResult passed through')
  }
})
