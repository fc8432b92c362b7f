// CHECK against a fake host that lists what ADD wrote (and what breaks it), the rare-path
// recoveries (an address owned by another attachment; DEL retried with exactly our elements),
// and the step order that lets the `chain` plugin merge our nft work with portmap's.
import t from 'tap'
import { firewallPlugin } from '../../../meta-plugins/firewall/plugin.js'
import { podChainName } from '../../../meta-plugins/firewall/layout.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { mergePlans } from '../../../chain/plugin/merge-plans.js'
import { CniError } from '../../../src/cni/errors.js'
import type { NftCommand, NftObject } from '../../../src/nft/types.js'
import type { Plan } from '../../../src/plan/types.js'
import { baseConf, fwFake, prevResult, request, type FwFake } from './helpers.js'

const CHAIN = podChainName('testnet', 'ctr1', 'eth0')
const T = 'cni_firewall_v1'

/** listingOf: what `nft -j list chain|map` would print after the batch (handles omitted), per list key. */
const listingOf = (batch: NftCommand[]): Map<string, NftObject[]> => {
  const out = new Map<string, NftObject[]>()
  const push = (key: string, o: NftObject) => out.set(key, [...(out.get(key) ?? []), o])
  const elems = new Map<string, unknown[]>()
  for (const c of batch) {
    const o = c.add
    if (!o) continue
    if (o.chain) push(`nft -j list chain ${o.chain.family} ${o.chain.table} ${o.chain.name}`, o)
    if (o.rule) push(`nft -j list chain ${o.rule.family} ${o.rule.table} ${o.rule.chain}`, o)
    if (o.map) out.set(`nft -j list map ${o.map.family} ${o.map.table} ${o.map.name}`, [o])
    if (o.element) elems.set(`nft -j list map ${o.element.family} ${o.element.table} ${o.element.name}`, [...(elems.get(`nft -j list map ${o.element.family} ${o.element.table} ${o.element.name}`) ?? []), ...(o.element.elem as unknown[])])
  }
  for (const [key, elem] of elems) {
    const [m] = out.get(key) ?? []
    if (m?.map) out.set(key, [{ map: { ...m.map, elem } }])
  }
  return out
}

const INSTALLED = ['-N CNI-ADMIN', '-N CNI-CHAIN-FORWARD',
  '-A FORWARD -m mark --mark 0x1000/0x1000 -m comment --comment "cni-chain firewall: pod traffic marked by table inet cni_firewall_v1" -j CNI-CHAIN-FORWARD',
  '-A CNI-CHAIN-FORWARD -j CNI-ADMIN', '-A CNI-CHAIN-FORWARD -j ACCEPT']

/** added: a fake host holding what ADD of conf wrote. */
const added = async (conf: ReturnType<typeof baseConf>, host: FwFake = fwFake({ ipt: { 4: INSTALLED, 6: INSTALLED } })): Promise<FwFake> => {
  const plan = await firewallPlugin.plan('ADD', request(conf), host)
  const nft = plan.steps.find((s) => s.kind === 'nft') as { batch: NftCommand[] }
  for (const [k, v] of listingOf(nft.batch)) host.responses.set(k, v)
  const state = plan.steps.find((s) => s.kind === 'write-file') as { path: string; content: string }
  host.files.contents.set(state.path, { content: state.content, mode: 0o600 })
  return host
}

const check = (conf: ReturnType<typeof baseConf>, host: FwFake) => firewallPlugin.check(request(conf, { command: 'CHECK' }), host)

t.test('CHECK passes on what ADD wrote, for every policy', async (t) => {
  for (const ingressPolicy of ['open', 'same-bridge', 'isolated']) {
    const conf = baseConf({ backend: 'iptables', ingressPolicy, prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) })
    await t.resolves(check(conf, await added(conf)), ingressPolicy)
  }
})

t.test('CHECK names what is missing', async (t) => {
  const conf = baseConf({ backend: 'iptables', ingressPolicy: 'isolated', prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) })
  const cases: [string, (h: FwFake) => void, RegExp][] = [
    ['the attachment chain', (h) => h.responses.delete(`nft -j list chain inet ${T} ${CHAIN}`), /chain inet cni_firewall_v1 fw-\w+ is missing/],
    ['a rule of it', (h) => h.responses.set(`nft -j list chain inet ${T} ${CHAIN}`, (h.responses.get(`nft -j list chain inet ${T} ${CHAIN}`) as NftObject[]).slice(0, -1)), /differs from what ADD writes/],
    ['an element', (h) => h.responses.set(`nft -j list map inet ${T} pods6`, []), /fd00::2 does not point at/],
    ['the isolation chain', (h) => h.responses.delete(`nft -j list chain inet ${T} iso-cni0`), /iso-cni0 is missing/],
    ['the bridge in `isolated`', (h) => h.responses.set(`nft -j list map inet ${T} isolated`, []), /bridge cni0 is not in map isolated/],
    ['the bridge table chain', (h) => h.responses.delete(`nft -j list chain bridge ${T} ${CHAIN}`), /chain bridge cni_firewall_v1 fw-\w+ is missing/],
    ['the forward chain\'s dispatch', (h) => h.responses.set(`nft -j list chain inet ${T} forward`, []), /forward has 0 rules, expected 4/],
    ['the static iptables rule', (h) => h.ipt.set(6, INSTALLED.filter((l) => !l.startsWith('-A FORWARD'))), /ip6tables: no rule in FORWARD or DOCKER-USER sends mark 0x1000\/0x1000/],
    ['the admin jump', (h) => h.ipt.set(4, INSTALLED.filter((l) => !l.endsWith('-j CNI-ADMIN'))), /does not jump to the admin chain CNI-ADMIN/],
  ]
  for (const [what, breakIt, msg] of cases) {
    const host = await added(conf)
    breakIt(host)
    await t.rejects(check(conf, host), msg, what)
  }
})

t.test('CHECK with firewalld honours the answer (the reference ignores it)', async (t) => {
  const conf = baseConf({ backend: 'firewalld', prevResult: prevResult(['10.0.0.2/24']) })
  const host = await added(conf, fwFake())
  await t.rejects(check(conf, host), /10.0.0.2\/32 is not a source of firewalld zone trusted/)
  host.sources.add('trusted|10.0.0.2/32')
  await t.resolves(check(conf, host))
})

const listedTable = (elems: [string, string][], comment?: string): NftObject[] => [
  { table: { family: 'inet', name: T } },
  { map: { family: 'inet', table: T, name: 'pods4', type: 'ipv4_addr', map: 'verdict', elem: elems.map(([a, c]) => [a, { jump: { target: c } }]) } },
  ...[...new Set(elems.map(([, c]) => c))].map((name) => ({ chain: { family: 'inet', table: T, name } })),
  ...(comment ? [{ rule: { family: 'inet', table: T, chain: 'fw-otherotherother', expr: [], comment } }] : []),
]

t.test('ADD on an address another attachment still holds: the error names it', async (t) => {
  const host = fwFake()
  host.responses.set(`nft -j list table inet ${T}`, listedTable([['10.0.0.2', 'fw-otherotherother']], 'if=eth1 pol=open net=oldnet cid=stale-ctr'))
  const conf = baseConf({ backend: 'nftables', prevResult: prevResult(['10.0.0.2/24']) })
  const err = await firewallPlugin.recover?.('ADD', request(conf), host, { steps: [] }, new Error('File exists')).catch((e: unknown) => e)
  t.ok(err instanceof CniError)
  t.match(err, { code: 100, msg: 'pod address 10.0.0.2 is already firewalled for another attachment', details: /container stale-ctr \(network oldnet, interface eth1, chain fw-otherotherother\)/ })
  const plain = new Error('something else')
  host.responses.set(`nft -j list table inet ${T}`, listedTable([]))
  t.equal(await firewallPlugin.recover?.('ADD', request(conf), host, { steps: [] }, plain).catch((e: unknown) => e), plain, 'anything else is rethrown')
})

t.test('DEL retried with exactly the elements that point at our chain', async (t) => {
  const host = fwFake()
  host.responses.set(`nft -j list table inet ${T}`, listedTable([['10.0.0.2', 'fw-otherotherother'], ['10.0.0.9', CHAIN]]))
  const conf = baseConf({ backend: 'nftables', prevResult: prevResult(['10.0.0.2/24']) })
  const plan = await firewallPlugin.plan('DEL', request(conf, { command: 'DEL' }), host)
  const retry = (await firewallPlugin.recover?.('DEL', request(conf, { command: 'DEL' }), host, plan, new Error('File exists'))) as Plan
  t.same(retry.steps.map((s) => [s.kind, s.ignoreFailure ?? false]), [['remove-file', false], ['nft', false], ['nft', true]], 'the removal replaced in place')
  const batch = JSON.stringify((retry.steps[1] as { batch: unknown[] }).batch)
  t.match(batch, /"elem":\[\["10.0.0.9",\{"jump"/, 'our element, found in the table')
  t.notMatch(batch, /10\.0\.0\.2/, 'not the address another attachment owns now')
  t.same((retry.steps[2] as { batch: unknown[] }).batch, [{ delete: { chain: { family: 'inet', table: T, name: CHAIN } } }], 'the chain deleted on its own (EBUSY on kernels < 6.2 is left to GC)')
})

t.test('the chain plugin can merge our nft transaction with portmap\'s', async (t) => {
  // DEL runs in reverse (podman's list: portmap, firewall, tuning): firewall's last step, then portmap's first
  const fwConf = baseConf({ backend: 'nftables', prevResult: prevResult(['10.0.0.2/24']) })
  const pmConf = { cniVersion: '1.0.0', name: 'testnet', type: 'portmap', stateDir: '/run/pmtest', runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] }, prevResult: prevResult(['10.0.0.2/24']) }
  const fw = await firewallPlugin.plan('DEL', request(fwConf, { command: 'DEL' }), fwFake())
  const pm = await portmapPlugin.plan('DEL', request(pmConf, { command: 'DEL' }), fwFake())
  t.equal(fw.steps.at(-1)?.kind, 'nft', 'open policy: DEL ends with its nft step')
  const merged = mergePlans([fw, pm])
  const nftSteps = merged.plan.steps.filter((s) => s.kind === 'nft' && !s.ignoreFailure)
  if (pm.steps[0]?.kind === 'nft') {
    t.equal(nftSteps.length, 1, 'one transaction for both plugins')
    t.match(JSON.stringify(nftSteps[0]), /cni_firewall_v1.*cni_portmap_v\d/, 'ours first, then portmap\'s')
  } else t.comment('portmap\'s DEL does not start with its nft step: nothing to merge')
  // ADD: portmap before firewall: portmap's last step and our first (nft)
  const add = await firewallPlugin.plan('ADD', request(fwConf), fwFake())
  t.equal(add.steps[0]?.kind, 'nft', 'ADD starts with its nft step')
  const withPrev = mergePlans([{ steps: [{ kind: 'nft', batch: [{ add: { table: { family: 'inet', name: 'x' } } }] }] }, add])
  t.equal(withPrev.plan.steps.filter((s) => s.kind === 'nft').length, 1, 'merged with a preceding plan that ends with nft')
})
