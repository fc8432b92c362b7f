// Firewall plans compared as JSON: each case's whole plan is stored in plans/<name>.json (written
// with UPDATE_FIXTURES=1, then read and checked by a person); the layout essentials are also
// asserted inline so a careless regeneration cannot hide a broken rule.
import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { firewallPlugin } from '../../../meta-plugins/firewall/plugin.js'
import { podChainName } from '../../../meta-plugins/firewall/layout.js'
import type { PlannedVerb } from '../../../src/plan/meta-plugin.js'
import type { Plan } from '../../../src/plan/types.js'
import type { PluginConf } from '../../../src/cni/types.js'
import { baseConf, fwFake, prevResult, request, type FwFake } from './helpers.js'

const CHAIN = podChainName('testnet', 'ctr1', 'eth0')
const dir = new URL('./plans/', import.meta.url)

const plan = async (name: string, verb: PlannedVerb, conf: PluginConf, host: FwFake): Promise<Plan> => {
  const p = JSON.parse(JSON.stringify(await firewallPlugin.plan(verb, request(conf, { command: verb }), host))) as Plan
  const file = new URL(`${name}.json`, dir)
  if (process.env.UPDATE_FIXTURES) writeFileSync(file, JSON.stringify(p, null, 1) + '\n')
  t.strictSame(p, JSON.parse(readFileSync(file, 'utf8')), `${name}: the stored plan`)
  t.same(host.calls.filter((c) => c.tool !== 'nft' || !Array.isArray(c.args)), [], `${name}: planning wrote nothing`)
  return p
}

const stateOf = (p: Plan): unknown => JSON.parse((p.steps.find((s) => s.kind === 'write-file') as { content: string }).content)
const nftBatch = (p: Plan, i = 0): unknown[] => (p.steps.filter((s) => s.kind === 'nft')[i] as { batch: unknown[] }).batch
const rulesOf = (batch: unknown[], table: string, chain: string) =>
  batch.flatMap((c) => {
    const r = (c as { add?: { rule?: { family: string; chain: string; expr: unknown[]; comment?: string } } }).add?.rule
    return r && r.family === table && r.chain === chain ? [{ expr: r.expr, ...(r.comment ? { comment: r.comment } : {}) }] : []
  })

const mark = { mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 4096] } } }
const daddr = (p: string, a: string) => ({ match: { op: '==', left: { payload: { protocol: p, field: 'daddr' } }, right: a } })
const saddr = (p: string, a: string) => ({ match: { op: '==', left: { payload: { protocol: p, field: 'saddr' } }, right: a } })
const established = { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } }
const dnat = { match: { op: 'in', left: { ct: { key: 'status' } }, right: 'dnat' } }

t.equal(CHAIN, 'fw-ycybijzzgs2qtjkm', "the tests' chain name")

t.test('ADD open, IPv4, backend nftables: one nft transaction, then the state file', async (t) => {
  const p = await plan('add-open-nftables', 'ADD', baseConf({ backend: 'nftables', prevResult: prevResult(['10.0.0.2/24']) }), fwFake())
  t.same(p.steps.map((s) => s.kind), ['nft', 'write-file'], 'the nft step is first (the chain plugin merges it with the previous plugin\'s last)')
  t.same(stateOf(p), { v4: ['10.0.0.2'], v6: [], policy: 'open', backend: 'nftables' }, 'the state file')
  t.same(rulesOf(nftBatch(p), 'inet', CHAIN), [
    { expr: [daddr('ip', '10.0.0.2'), established, mark] },
    { expr: [daddr('ip', '10.0.0.2'), dnat, mark] },
    { expr: [saddr('ip', '10.0.0.2'), mark], comment: 'if=eth0 pol=open net=testnet cid=ctr1' },
  ], 'the attachment chain: replies and published ports to the pod, everything from it')
  t.same(rulesOf(nftBatch(p), 'inet', 'forward').map((r) => JSON.stringify(r.expr)), [
    '[{"vmap":{"key":{"payload":{"protocol":"ip","field":"daddr"}},"data":"@pods4"}}]',
    '[{"vmap":{"key":{"payload":{"protocol":"ip6","field":"daddr"}},"data":"@pods6"}}]',
    '[{"vmap":{"key":{"payload":{"protocol":"ip","field":"saddr"}},"data":"@pods4"}}]',
    '[{"vmap":{"key":{"payload":{"protocol":"ip6","field":"saddr"}},"data":"@pods6"}}]',
  ], 'dispatch: O(1) by address, both directions')
  t.ok(nftBatch(p).some((c) => JSON.stringify(c) === JSON.stringify({ add: { element: { family: 'inet', table: 'cni_firewall_v1', name: 'pods4', elem: [['10.0.0.2', { jump: { target: CHAIN } }]] } } })), 'element: address → jump')
  t.notOk(JSON.stringify(p).includes('"bridge"'), 'no bridge table for open')
})

t.test('ADD same-bridge, dual-stack: the bridge isolation chain and the jump to it', async (t) => {
  const p = await plan('add-same-bridge-dual', 'ADD', baseConf({ backend: 'nftables', ingressPolicy: 'same-bridge', prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) }), fwFake())
  const batch = nftBatch(p)
  t.same(rulesOf(batch, 'inet', 'iso-cni0').map((r) => JSON.stringify(r.expr)), [
    '[{"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":"cni0"}},{"return":null}]',
    '[{"vmap":{"key":{"meta":{"key":"iifname"}},"data":"@isolated"}}]',
  ])
  t.ok(batch.some((c) => JSON.stringify(c) === '{"add":{"element":{"family":"inet","table":"cni_firewall_v1","name":"isolated","elem":[["cni0",{"drop":null}]]}}}'))
  const rules = rulesOf(batch, 'inet', CHAIN)
  t.same(rules.map((r) => r.expr[0]), [daddr('ip', '10.0.0.2'), daddr('ip', '10.0.0.2'), daddr('ip', '10.0.0.2'), saddr('ip', '10.0.0.2'),
    daddr('ip6', 'fd00::2'), daddr('ip6', 'fd00::2'), daddr('ip6', 'fd00::2'), saddr('ip6', 'fd00::2')])
  t.same(rules[0]?.expr[1], { jump: { target: 'iso-cni0' } }, 'isolation first, before any mark')
  t.same(rules[4]?.expr[1], { jump: { target: 'iso-cni0' } })
  t.notOk(JSON.stringify(batch).includes('"family":"bridge"'), 'same-bridge needs no bridge table')
})

t.test('ADD isolated: the bridge table drops bridged frames to and from the pod', async (t) => {
  const p = await plan('add-isolated', 'ADD', baseConf({ backend: 'nftables', ingressPolicy: 'isolated', prevResult: prevResult(['10.0.0.2/24']) }), fwFake())
  const batch = nftBatch(p)
  t.same(rulesOf(batch, 'bridge', CHAIN), [{ expr: [{ drop: null }], comment: 'if=eth0 pol=isolated net=testnet cid=ctr1' }])
  t.ok(batch.some((c) => JSON.stringify(c) === `{"add":{"element":{"family":"bridge","table":"cni_firewall_v1","name":"pods4","elem":[["10.0.0.2",{"goto":{"target":"${CHAIN}"}}]]}}}`))
  t.ok(batch.some((c) => JSON.stringify(c) === '{"add":{"chain":{"family":"bridge","table":"cni_firewall_v1","name":"forward","type":"filter","hook":"forward","prio":-200,"policy":"accept"}}}'))
  t.same(stateOf(p), { v4: ['10.0.0.2'], v6: [], policy: 'isolated', backend: 'nftables', bridge: 'cni0' })
  const undo = (p.steps[0] as { undo?: { batch: unknown[]; inUseIsFine?: true }[] }).undo ?? []
  t.same(undo.length, 2, 'the undo removes the pod from both tables, then the isolation chain unless another pod uses it')
  t.equal(undo[1]?.inUseIsFine, true, 'EBUSY (another pod on the bridge) is no leak')
  t.match(JSON.stringify(undo[1]?.batch), /"delete":\{"chain":\{[^}]*"name":"iso-cni0"/)
  t.match(JSON.stringify((p.steps[0] as { undo?: unknown[] }).undo), /"family":"bridge"/)
})

const IPT_JUMP = ['-m', 'mark', '--mark', '0x1000/0x1000', '-m', 'comment', '--comment', 'cni-chain firewall: pod traffic marked by table inet cni_firewall_v1', '-j', 'CNI-CHAIN-FORWARD']
const installed = (where = 'FORWARD') => [
  '-P FORWARD DROP', '-N CNI-ADMIN', '-N CNI-CHAIN-FORWARD',
  `-A ${where} -m mark --mark 0x1000/0x1000 -m comment --comment "cni-chain firewall: pod traffic marked by table inet cni_firewall_v1" -j CNI-CHAIN-FORWARD`,
  '-A CNI-CHAIN-FORWARD -j CNI-ADMIN', '-A CNI-CHAIN-FORWARD -j ACCEPT',
]

t.test('backend iptables on a bare node: chains, accept, admin jump, the one static rule — per family of the pod', async (t) => {
  const host = fwFake({ ipt: { 4: ['-P INPUT ACCEPT', '-P FORWARD DROP', '-P OUTPUT ACCEPT'], 6: [] } })
  const p = await plan('add-iptables-install', 'ADD', baseConf({ backend: 'iptables', prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) }), host)
  const ipt = p.steps.filter((s) => s.kind === 'iptables')
  t.same(ipt.filter((s) => s.family === 4).map((s) => s.args.join(' ')), [
    '-N CNI-ADMIN', '-N CNI-CHAIN-FORWARD', '-A CNI-CHAIN-FORWARD -j ACCEPT', '-I CNI-CHAIN-FORWARD 1 -j CNI-ADMIN', `-I FORWARD 1 ${IPT_JUMP.join(' ')}`,
  ])
  t.same(ipt.filter((s) => s.family === 6).length, 5, 'ip6tables too')
  t.same(ipt.filter((s) => s.args[0] === '-N').map((s) => s.ignoreFailure), [true, true, true, true], 'creating a chain tolerates a concurrent ADD')
  t.same(ipt.find((s) => s.args[0] === '-I' && s.args[1] === 'FORWARD')?.unless, ['FORWARD', ...IPT_JUMP], 're-checked with -C right before the insert')
  t.same([p.steps[0]?.kind, p.steps.at(-1)?.kind], ['nft', 'write-file'])
})

t.test('backend iptables: nothing to add when installed (FORWARD or DOCKER-USER); DOCKER-USER preferred; only what is missing', async (t) => {
  const none = await plan('add-iptables-installed', 'ADD', baseConf({ backend: 'iptables', prevResult: prevResult(['10.0.0.2/24']) }), fwFake({ ipt: { 4: installed() } }))
  t.same(none.steps.map((s) => s.kind), ['nft', 'write-file'], 'steady state: no iptables command at all')
  const p = await firewallPlugin.plan('ADD', request(baseConf({ backend: 'iptables', prevResult: prevResult(['10.0.0.2/24']) })), fwFake({ ipt: { 4: ['-P FORWARD DROP', '-N DOCKER-USER', '-A DOCKER-USER -j RETURN'] } }))
  t.same(p.steps.filter((s) => s.kind === 'iptables').at(-1), { kind: 'iptables', family: 4, args: ['-I', 'DOCKER-USER', '1', ...IPT_JUMP], unless: ['DOCKER-USER', ...IPT_JUMP] })
  const q = await firewallPlugin.plan('ADD', request(baseConf({ backend: 'iptables', prevResult: prevResult(['10.0.0.2/24']) })), fwFake({ ipt: { 4: ['-N DOCKER-USER', ...installed('DOCKER-USER')] } }))
  t.same(q.steps.filter((s) => s.kind === 'iptables'), [], 'installed in DOCKER-USER')
  const r = await firewallPlugin.plan('ADD', request(baseConf({ backend: 'iptables', iptablesAdminChainName: 'OPS', prevResult: prevResult(['10.0.0.2/24']) })), fwFake({ ipt: { 4: installed() } }))
  t.same(r.steps.filter((s) => s.kind === 'iptables').map((s) => s.args.join(' ')), ['-N OPS', '-I CNI-CHAIN-FORWARD 1 -j OPS'], 'a second admin chain joins the first')
  const m = await firewallPlugin.plan('ADD', request(baseConf({ backend: 'iptables', acceptMarkBit: 4, prevResult: prevResult(['10.0.0.2/24']) })), fwFake({ ipt: { 4: installed() } }))
  t.match(m.steps.filter((s) => s.kind === 'iptables').map((s) => s.args.join(' ')), [/^-I FORWARD 1 -m mark --mark 0x10\/0x10 /], 'another mark: its own static rule')
  await t.rejects(firewallPlugin.plan('ADD', request(baseConf({ backend: 'iptables', prevResult: prevResult(['fd00::2/64']) })), fwFake({ ipt: { 4: [] } })), /ip6tables is not installed/)
})

t.test('backend chosen on the node: firewalld table → firewalld; iptables tool → iptables; else nftables', async (t) => {
  const withFirewalld = fwFake({ ipt: { 4: [] } })
  withFirewalld.responses.set('nft -j list tables', [{ table: { family: 'inet', name: 'firewalld', handle: 1 } }])
  const f = await plan('add-auto-firewalld', 'ADD', baseConf({ prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) }), withFirewalld)
  t.same(f.steps.filter((s) => s.kind === 'firewalld').map((s) => [s.op, s.zone, s.source]), [['add-source', 'trusted', '10.0.0.2/32'], ['add-source', 'trusted', 'fd00::2/128']])
  t.same(f.steps.find((s) => s.kind === 'firewalld')?.undo, [{ kind: 'firewalld', op: 'remove-source', zone: 'trusted', source: '10.0.0.2/32' }])
  const i = await firewallPlugin.plan('ADD', request(baseConf({ prevResult: prevResult(['10.0.0.2/24', 'fd00::2/64']) })), fwFake({ ipt: { 4: installed() } }))
  t.match(stateOf(i), { backend: 'iptables' })
  t.same(i.steps.filter((s) => s.kind === 'iptables'), [], 'no ip6tables: that family is skipped when chosen automatically')
  const n = await firewallPlugin.plan('ADD', request(baseConf({ prevResult: prevResult(['10.0.0.2/24']) })), fwFake())
  t.match(stateOf(n), { backend: 'nftables' })
})

const stateFile = (extra: Record<string, unknown> = {}) => JSON.stringify({ v4: ['10.0.0.2'], v6: ['fd00::2'], policy: 'isolated', backend: 'iptables', bridge: 'cni0', ...extra })

t.test('DEL from the state file: no prevResult, no nft read', async (t) => {
  const host = fwFake()
  host.files.contents.set(`/run/fwtest/attachments/${CHAIN}`, { content: stateFile(), mode: 0o600 })
  const p = await plan('del-state', 'DEL', baseConf({ ingressPolicy: 'open' }), host)
  t.same(p.steps.map((s) => [s.kind, s.ignoreFailure ?? false]), [['remove-file', false], ['nft', false], ['nft', true]], 'the removal last but for the isolation attempt')
  const batch = JSON.stringify(nftBatch(p))
  t.match(batch, /"family":"bridge"/, 'the bridge table too (recorded policy isolated, whatever the config says now)')
  t.match(batch, new RegExp(`\\{"add":\\{"element":\\{"family":"inet","table":"cni_firewall_v1","name":"pods4","elem":\\[\\["10.0.0.2",\\{"jump":\\{"target":"${CHAIN}"\\}\\}\\]\\]\\}\\}\\}`), 'owner claim with the same verdict (jump)')
  t.same(nftBatch(p, 1).map((c) => Object.keys(c as object)[0]), ['add', 'add', 'delete', 'flush', 'delete'], 'isolation: claim, then delete (EBUSY while used)')
  t.same(host.calls.filter((c) => c.tool === 'nft'), [])
})

t.test('DEL without state: prevResult; else the chain describes itself; else nothing', async (t) => {
  const p = await plan('del-prevresult', 'DEL', baseConf({ backend: 'nftables', ingressPolicy: 'same-bridge', prevResult: prevResult(['10.0.0.2/24']) }), fwFake())
  t.same(p.steps.map((s) => s.kind), ['remove-file', 'nft', 'nft'])
  const listed = fwFake()
  listed.responses.set(`nft -j list chain inet cni_firewall_v1 ${CHAIN}`, [
    { chain: { family: 'inet', table: 'cni_firewall_v1', name: CHAIN, handle: 9 } },
    { rule: { family: 'inet', table: 'cni_firewall_v1', chain: CHAIN, handle: 10, expr: [daddr('ip6', 'fd00::2'), { jump: { target: 'iso-br7' } }] } },
    { rule: { family: 'inet', table: 'cni_firewall_v1', chain: CHAIN, handle: 11, expr: [saddr('ip6', 'fd00::2'), mark], comment: 'if=eth0 pol=isolated net=testnet cid=ctr1' } },
  ])
  const q = await plan('del-from-chain', 'DEL', baseConf({ backend: 'nftables' }), listed)
  t.match(JSON.stringify(q), /"name":"pods6","elem":\[\["fd00::2"/)
  t.match(JSON.stringify(nftBatch(q, 1)), /iso-br7/, 'the bridge from the isolation jump')
  t.match(JSON.stringify(nftBatch(q)), /"family":"bridge"/, 'the policy from the comment')
  const nothing = await plan('del-nothing', 'DEL', baseConf(), fwFake())
  t.same(nothing.steps, [{ kind: 'remove-file', path: `/run/fwtest/attachments/${CHAIN}` }], 'no chain: nothing in nft')
})

t.test('DEL firewalld: sources removed best effort, zone as recorded', async (t) => {
  const host = fwFake()
  host.files.contents.set(`/run/fwtest/attachments/${CHAIN}`, { content: stateFile({ policy: 'open', backend: 'firewalld', zone: 'pods', bridge: undefined }), mode: 0o600 })
  const p = await firewallPlugin.plan('DEL', request(baseConf({ firewalldZone: 'other' }), { command: 'DEL' }), host)
  t.same(p.steps.filter((s) => s.kind === 'firewalld'), [
    { kind: 'firewalld', op: 'remove-source', zone: 'pods', source: '10.0.0.2/32', ignoreFailure: true },
    { kind: 'firewalld', op: 'remove-source', zone: 'pods', source: 'fd00::2/128', ignoreFailure: true },
  ])
})

const listedTable = (chains: Record<string, { comment?: string; jump?: string; addr?: string }>, isoChains: string[] = []) => [
  { table: { family: 'inet', name: 'cni_firewall_v1', handle: 1 } },
  { map: { family: 'inet', table: 'cni_firewall_v1', name: 'pods4', type: 'ipv4_addr', map: 'verdict', handle: 2,
    elem: Object.entries(chains).filter(([, c]) => c.addr).map(([name, c]) => [c.addr, { jump: { target: name } }]) } },
  ...Object.keys(chains).map((name) => ({ chain: { family: 'inet', table: 'cni_firewall_v1', name, handle: 3 } })),
  ...isoChains.map((name) => ({ chain: { family: 'inet', table: 'cni_firewall_v1', name, handle: 4 } })),
  ...Object.entries(chains).flatMap(([name, c]) => [
    ...(c.jump ? [{ rule: { family: 'inet', table: 'cni_firewall_v1', chain: name, handle: 5, expr: [daddr('ip', c.addr ?? ''), { jump: { target: c.jump } }] } }] : []),
    ...(c.comment ? [{ rule: { family: 'inet', table: 'cni_firewall_v1', chain: name, handle: 6, expr: [saddr('ip', c.addr ?? ''), mark], comment: c.comment } }] : []),
  ]),
]

t.test('GC: no list removes nothing; stale attachments of this network go, with isolation chains nobody uses', async (t) => {
  const noList = fwFake()
  const p0 = await firewallPlugin.plan('GC', request(baseConf(), { command: 'GC' }), noList)
  t.same([p0.steps, noList.calls], [[], []], 'no cni.dev/valid-attachments: no read, no change')
  const keep = podChainName('testnet', 'live', 'eth0')
  const gone = podChainName('testnet', 'dead', 'eth0')
  const other = podChainName('othernet', 'x', 'eth0')
  const host = fwFake()
  host.responses.set('nft -j list table inet cni_firewall_v1', listedTable({
    [keep]: { addr: '10.0.0.3', jump: 'iso-br1', comment: 'if=eth0 pol=same-bridge net=testnet cid=live' },
    [gone]: { addr: '10.0.0.4', jump: 'iso-br0', comment: 'if=eth0 pol=same-bridge net=testnet cid=dead' },
    [other]: { addr: '10.0.0.5', comment: 'if=eth0 pol=open net=othernet cid=x' },
    'fw-aaaaaaaaaaaaaaaa': {},
  }, ['iso-br0', 'iso-br1', 'iso-br9']))
  const p = await plan('gc', 'GC', baseConf({ 'cni.dev/valid-attachments': [{ containerID: 'live', ifname: 'eth0' }] }), host)
  const removed = JSON.stringify(nftBatch(p))
  t.match(removed, new RegExp(`"delete":\\{"chain":\\{"family":"inet","table":"cni_firewall_v1","name":"${gone}"`), 'the stale attachment of this network')
  t.match(removed, /"name":"fw-aaaaaaaaaaaaaaaa"/, 'an empty chain nothing points at')
  t.notMatch(removed, new RegExp(`${keep}|${other}`), 'valid ones and other networks stay')
  t.same(p.steps.filter((s) => s.ignoreFailure && s.kind === 'nft').map((s) => JSON.stringify(s).match(/iso-br\d/)?.[0]), ['iso-br0', 'iso-br9'], 'unused isolation chains; iso-br1 is still jumped to')
  const empty = fwFake()
  empty.responses.set('nft -j list table inet cni_firewall_v1', listedTable({ [gone]: { addr: '10.0.0.4', comment: 'if=eth0 pol=open net=testnet cid=dead' } }))
  const pe = await firewallPlugin.plan('GC', request(baseConf({ 'cni.dev/attachments': [] }), { command: 'GC' }), empty)
  t.match(JSON.stringify(pe), new RegExp(gone), 'an empty list: nothing of this network is valid')
})
