// `cni-chain doctor`'s analysis on listings shaped as nft 1.0.6 prints them (iptables-nft rules
// included: a mark match is a native `&` match, a comment an xt match, `-j CHAIN` a jump).
import t from 'tap'
import { diagnose, forwardChains, renderFindings } from '../../../meta-plugins/firewall/diagnose.js'
import type { ListedRule } from '../../../src/nft/read.js'

const chain = (family: string, table: string, name: string, prio: number, policy: string, hook = 'forward') =>
  ({ chain: { family, table, name, handle: 1, type: 'filter', hook, prio, policy } })
const markMatch = (m: number) => ({ match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, m] }, right: m } })

const listing = [
  chain('ip', 'filter', 'FORWARD', 0, 'drop'),
  chain('ip6', 'filter', 'FORWARD', 0, 'drop'),
  chain('ip', 'filter', 'INPUT', 0, 'drop', 'input'),
  chain('inet', 'cni_firewall_v1', 'forward', -10, 'accept'),
  chain('inet', 'firewalld', 'filter_FORWARD', 10, 'accept'),
  chain('ip', 'docker-bridges', 'filter-FORWARD', 0, 'accept'),
  chain('inet', 'admin', 'fw1', 5, 'drop'),
  chain('inet', 'quiet', 'fw2', 0, 'accept'),
  chain('bridge', 'x', 'fw3', 0, 'drop'),
  { chain: { family: 'inet', table: 'admin', name: 'regular', handle: 9 } },
]

const rules: Record<string, ListedRule[]> = {
  'ip filter FORWARD': [{ chain: 'FORWARD', handle: 8, expr: [markMatch(4096), { xt: { type: 'match', name: 'comment' } }, { counter: { packets: 1, bytes: 2 } }, { jump: { target: 'CNI-CHAIN-FORWARD' } }] }],
  'ip6 filter DOCKER-USER': [],
  'ip6 filter FORWARD': [],
  'inet firewalld filter_FORWARD': [{ chain: 'filter_FORWARD', handle: 30, expr: [{ reject: { type: 'icmpx', expr: 'admin-prohibited' } }] }],
  'ip docker-bridges filter-FORWARD': [{ chain: 'filter-FORWARD', handle: 4, expr: [{ drop: null }] }, { chain: 'filter-FORWARD', handle: 5, expr: [{ drop: null }] }],
  'inet admin fw1': [{ chain: 'fw1', handle: 3, expr: [markMatch(4096), { accept: null }] }],
  'inet quiet fw2': [{ chain: 'fw2', handle: 2, expr: [{ accept: null }] }],
}

t.test('only forward hooks of ip, ip6, inet', async (t) => {
  t.same(forwardChains(listing).map((c) => `${c.family} ${c.table} ${c.name}`), [
    'ip filter FORWARD', 'ip6 filter FORWARD', 'inet cni_firewall_v1 forward', 'inet firewalld filter_FORWARD',
    'ip docker-bridges filter-FORWARD', 'inet admin fw1', 'inet quiet fw2',
  ])
})

t.test('each dropping chain, and what cni-chain does about it', async (t) => {
  const findings = diagnose(forwardChains(listing), (f, tb, c) => rules[`${f} ${tb} ${c}`] ?? [], 4096)
  t.same(findings.map((f) => [`${f.chain.family} ${f.chain.table} ${f.chain.name}`, f.kind, f.drops, f.acceptHandle]), [
    ['ip filter FORWARD', 'iptables', 'policy drop (iptables-nft)', 8],
    ['ip6 filter FORWARD', 'iptables', 'policy drop (ip6tables-nft)', undefined],
    ['inet firewalld filter_FORWARD', 'firewalld', '1 drop rule (handle 30)', undefined],
    ['ip docker-bridges filter-FORWARD', 'docker-nftables', '2 drop rules (handles 4, 5)', undefined],
    ['inet admin fw1', 'nftables', 'policy drop', 3],
  ], 'our own accepting table and chains that do not drop are left out')
  t.match(findings[0]?.action, /cni-chain accepts marked pod traffic with rule handle 8/)
  t.match(findings[1]?.action, /no cni-chain rule yet: .*ip6tables -I FORWARD 1 -m mark --mark 0x1000\/0x1000 -j CNI-CHAIN-FORWARD/)
  t.match(findings[3]?.action, /--bridge-accept-fwmark=0x1000/)
  const other = diagnose(forwardChains(listing), (f, tb, c) => rules[`${f} ${tb} ${c}`] ?? [], 0x10)
  t.match(other.find((f) => f.chain.table === 'admin')?.action, /nft insert rule inet admin fw1 meta mark and 0x10 == 0x10 accept/, 'another mark: the documented line')
  t.match(other[0]?.action, /no cni-chain rule yet/, 'a rule for another mark does not count')
  const text = renderFindings(findings, 4096)
  t.match(text, /^forward-hook chains that drop \(cni-chain's accept mark 0x1000\):\n- ip filter FORWARD \(priority 0\) policy drop \(iptables-nft\): cni-chain accepts/)
  t.match(renderFindings([], 4096), /no forward-hook chain drops/)
})

t.test('DOCKER-USER holds the rule when Docker made it', async (t) => {
  const docker: Record<string, ListedRule[]> = { ...rules, 'ip filter FORWARD': [], 'ip filter DOCKER-USER': [{ chain: 'DOCKER-USER', handle: 21, expr: [markMatch(4096), { jump: { target: 'CNI-CHAIN-FORWARD' } }] }] }
  const [f] = diagnose(forwardChains(listing), (fa, tb, c) => docker[`${fa} ${tb} ${c}`] ?? [], 4096)
  t.match(f?.action, /rule handle 21 in DOCKER-USER/)
})
