// tbf parameters: the default burst and queue per rate, clamping of bursts that would overflow the
// bucket the kernel reports, the one-frame floor, and what tc prints back.
import t from 'tap'
import { MAX_BURST_SECONDS, burstMatches, isOurRedirect, rootState, tbfArgs, tbfParams } from '../../../meta-plugins/bandwidth/tbf.js'

t.test('default burst (10 ms, >= 2 frames) and queue (50 ms; 16 frames within 190 ms at low rates)', async (t) => {
  const table: [number, { rate: number; burst: number; limit: number }][] = [
    [1_000_000, { rate: 125_000, burst: 3028, limit: 3028 + 23_750 }], // 16 frames would be 194 ms: 190 ms
    [2_000_000, { rate: 250_000, burst: 3028, limit: 3028 + 16 * 1514 }],
    [5_000_000, { rate: 625_000, burst: 6250, limit: 6250 + 31_250 }],
    [20_000_000, { rate: 2_500_000, burst: 25_000, limit: 25_000 + 125_000 }],
    [1_000_000_000, { rate: 125_000_000, burst: 1_250_000, limit: 1_250_000 + 6_250_000 }],
    [100_000, { rate: 12_500, burst: 3028, limit: 3028 + 3028 }], // 190 ms is 2375 bytes: the 2-frame floor
  ]
  for (const [rate, want] of table) t.same(tbfParams({ rate, burst: undefined }, 1500), want, `${rate} bit/s`)
  t.same(tbfParams({ rate: 1_000_000, burst: undefined }, 9000).burst, 2 * 9014, 'frames follow the MTU')
})

t.test('configured bursts: bits → bytes, at least one frame, at most 274 s of traffic', async (t) => {
  t.equal(tbfParams({ rate: 20_000_000, burst: 400_000 }, 1500).burst, 50_000)
  t.equal(tbfParams({ rate: 8, burst: 8 }, 1500).burst, 1514, 'a 1-byte bucket would pass no full frame')
  t.equal(tbfParams({ rate: 10_000_000, burst: 34_359_738_352 }, 1500).burst, 1_250_000 * MAX_BURST_SECONDS, 'clamped')
  t.equal(tbfParams({ rate: 1000, burst: 4 * 1024 ** 3 * 8 - 16 }, 1500).burst, 125 * MAX_BURST_SECONDS)
  const big = tbfParams({ rate: 8e12, burst: 4 * 1024 ** 3 * 8 - 16 }, 1500)
  t.equal(big.burst, 4 * 1024 ** 3 - 2, 'no clamp needed at 1 TB/s')
  t.equal(big.limit, 0xffffffff, 'limit stays a 32-bit byte count')
})

t.test('tc arguments', async (t) => {
  t.same(tbfArgs('veth1', { rate: 125_000, burst: 3028, limit: 26_778 }),
    ['qdisc', 'replace', 'dev', 'veth1', 'root', 'handle', 'bd00:', 'tbf', 'rate', '125000bps', 'burst', '3028', 'limit', '26778'])
})

t.test('reading tc back', async (t) => {
  t.same(rootState([{ kind: 'noqueue', handle: '0:', root: true }]), { state: 'default', kind: 'noqueue' })
  t.same(rootState([{ kind: 'tbf', handle: 'bd00:', root: true, options: { rate: 1000, burst: 2000, limit: 5000 } }]),
    { state: 'ours', params: { rate: 1000, burst: 2000, limit: 5000 } })
  t.same(rootState([{ kind: 'tbf', handle: 'bd00:', root: true, options: { rate: 1_250_000, burst: 20_000, lat: 64_000 } }]),
    { state: 'ours', params: { rate: 1_250_000, burst: 20_000, limit: 100_000 } }, 'limit from lat')
  t.same(rootState([{ kind: 'htb', handle: '1:', root: true }]), { state: 'foreign', kind: 'htb', handle: '1:' })
  t.same(rootState([{ kind: 'tbf', handle: '1:', root: true }]), { state: 'foreign', kind: 'tbf', handle: '1:' }, "the reference's tbf is not ours")
  t.same(rootState([]), { state: 'none' })
  const want = { rate: 125_000_000, burst: 1_250_000, limit: 0 }
  t.ok(burstMatches(1_249_875, want), 'one microsecond short at 1 Gbit/s')
  t.notOk(burstMatches(1_240_000, want))
  const node = (to: string) => ({ pref: 65000, kind: 'u32', options: { actions: [{ kind: 'mirred', mirred_action: 'redirect', to_dev: to }] } })
  t.ok(isOurRedirect([{ pref: 65000, kind: 'u32' }, node('bwp1')], 'bwp1'))
  t.notOk(isOurRedirect([node('bwp1')], 'bwp2'), 'to another ifb')
  t.notOk(isOurRedirect([{ pref: 65000, kind: 'bpf', options: { actions: [] } }]), 'a bpf filter is not ours')
  t.notOk(isOurRedirect([]), 'nothing there')
})
