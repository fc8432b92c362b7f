// Fuzzing every plugin (tuning, portmap, bandwidth, firewall, chain) and every verb with seeded,
// malformed and hostile invocations (test/e2e/lib/fuzz/: the generator, the hostile values, the
// oracle in judge.ts), on real nftables, tc, links and sysctls in the test's own namespaces.
//
// - Seed: printed; CC_FUZZ_SEED=<seed> replays a run, CC_FUZZ_CASES=<n> sets the number of cases
//   (default 2400), CC_FUZZ_ONLY=<n,n,...> runs only those cases of the run (to replay a failure).
// - Most cases run in process through the dispatcher the binaries use (runPlugin with the plugin's
//   definition and the real host, src/skel/main.ts's body), in 4 runner processes inside the node
//   namespace; every 8th case of each shard runs the real binary (bin/<plugin>), started by the
//   runner. Each call has a 60 s timeout (a hang fails); the runner also checks that no
//   prototype gained a property (pollution through "__proto__" keys) and that nothing is written
//   outside a call; its dir.trace file names the call in progress if a round never answers.
// - Shards: case n goes to shard n % 4, one per runner: its own pod (eth0 a veth onto its own
//   bridge), network name, host ports and state dirs. A shard's cases run one at a time, so a
//   valid ADD and its DEL are never interleaved with another call on the same pod.
// - "No change": before the first case, one warm-up ADD+DEL per shard creates what rightly stays
//   (the nft tables, firewall's static iptables rule, state sub-dirs); then the baseline is read:
//   the node namespace and the 4 pods (ruleset, links, addresses, routes, qdiscs and filters, net.*
//   sysctls) and the files under the state dirs and the runners' TMPDIRs. Every ADD that succeeds
//   (valid or not) is followed by its DEL (valid cases: CHECK first, and the result as prevResult,
//   as libcni does; a quarter of them ADD twice first, half of them DEL twice), so after each
//   round of cases (40 per runner) the state must equal the baseline. A difference fails the
//   round (naming its cases) and the baseline is read again.
//   Skeleton objects for another mark bit or admin chain name (firewall's static iptables rule,
//   portmap's masq-b<bit> chain, a skeleton's stamp set) stay by design (isSkeleton): counted, not failures.
// - The machine's default state dirs (/run/cni/*) must not gain any file naming the run's marker.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createTopology, e2eSkip, repoRoot } from './lib/harness.js'
import { generateCases } from './lib/fuzz/generate.js'
import { judge } from './lib/fuzz/judge.js'
import { bundleRunner, startRunner, type FuzzRunner } from './lib/fuzz/runner.js'
import type { CaseOutcome, FuzzCase } from './lib/fuzz/types.js'
import { warmupConfs } from './lib/fuzz/valid.js'
import { FUZZ_BINARIES, createFuzzWorld } from './lib/fuzz/world.js'
import { diffState, filesUnder, hostState } from './lib/node-state.js'

const SHARDS = 4
const PER_ROUND = 40
const BINARY_EVERY = 8
const CALL_TIMEOUT_MS = 60_000
// a round's bound: a runner that does not answer by then fails the test (its trace file, dir.trace, shows where)
const BATCH_TIMEOUT_MS = 600_000

const intEnv = (name: string, dflt: number): number => {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt
}

const short = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s)

const describe = (c: FuzzCase): string =>
  `case ${c.n} [${c.mode} ${c.plugin} ${c.verb} shard ${c.shard} expect ${c.expect}] ${c.labels.length > 0 ? c.labels.join('; ') : 'valid'}\n` +
  `  env ${short(JSON.stringify(c.call.env), 400)}\n  stdin ${short(JSON.stringify(c.call.stdin), 600)}`

/**
 * Per-setting skeleton objects that rightly stay (like the tables the warm-up creates), shared by
 * every pod with that setting and never removed by DEL or GC: firewall's static iptables objects
 * (filter table: the per-mark rule jumping to CNI-CHAIN-FORWARD, that chain and its rules, the
 * admin chain; meta-plugins/firewall/iptables-rules.ts) for another acceptMarkBit or
 * iptablesAdminChainName, and portmap's postrouting chain masq-b<bit> for another markMasqBit
 * (meta-plugins/portmap/rules.ts). They are counted, not failures; anything else is.
 */
const isSkeleton = (line: string): boolean => {
  if (!/ ruleset: \+ /.test(line)) return false
  const obj = line.replace(/^.* ruleset: \+ /, '')
  const firewall = /"table":"filter"/.test(obj) && (/"(chain|target)":"CNI-CHAIN-FORWARD"/.test(obj) || obj.startsWith('{"chain":'))
  const portmapMasq = /"table":"cni_portmap_v\d+"/.test(obj) && (/^\{"chain":\{[^}]*"name":"masq-b\d+"/.test(obj) || /^\{"rule":\{[^{]*"chain":"masq-b\d+"/.test(obj))
  // a skeleton's stamp (src/nft/stamp.ts): one per distinct skeleton (mark bit, isolation bridge) written
  const stamp = /^\{"set":\{[^{]*"name":"stamp-[0-9a-f]{16}"/.test(obj)
  return firewall || portmapMasq || stamp
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (FUZZ_BINARIES.some((b) => !existsSync(join(repoRoot, 'bin', b)))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  // about a minute on an idle 2-core machine; more when the whole suite shares the cores
  t.setTimeout(900_000)
  t.test('fuzz: malformed and hostile invocations of every plugin and verb', async (t) => {
    const seed = process.env.CC_FUZZ_SEED && /^\d+$/.test(process.env.CC_FUZZ_SEED) ? Number(process.env.CC_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31)
    const total = intEnv('CC_FUZZ_CASES', 2400)
    t.comment(`fuzz seed ${seed}, ${total} cases (replay: CC_FUZZ_SEED=${seed} CC_FUZZ_CASES=${total})`)
    const started = Date.now()

    const topo = await createTopology(t)
    const marker = `fz${seed.toString(36)}x`
    const world = await createFuzzWorld(t, topo, SHARDS, marker)
    const only = (process.env.CC_FUZZ_ONLY ?? '').split(',').filter((s) => /^\d+$/.test(s)).map(Number)
    const cases = generateCases(world, seed, total, BINARY_EVERY).filter((c) => only.length === 0 || only.includes(c.n))

    const script = await bundleRunner(topo.dir)
    const runners: FuzzRunner[] = []
    for (let i = 0; i < SHARDS; i++) runners.push(await startRunner(t, topo.node, script, join(topo.dir, `runner${i}`), join(repoRoot, 'bin'), CALL_TIMEOUT_MS))

    // warm-up (see the file comment), in process and as a binary, in every runner
    let warmN = -1
    for (const [i, runner] of runners.entries()) {
      const shard = world.shards[i]!
      const warm: FuzzCase[] = warmupConfs(shard).flatMap((conf) => (['inproc', 'binary'] as const).map((mode) => ({
        n: warmN--, shard: i, plugin: conf.type, mode, verb: 'ADD' as const, expect: 'ok' as const, labels: [], cleanup: true, check: true, readd: true, delTwice: true,
        call: { env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: `${marker}warm${i}`, CNI_NETNS: shard.podPath, CNI_IFNAME: 'eth0', CNI_PATH: world.cniPath }, stdin: JSON.stringify(conf) },
      })))
      const { outcomes } = await runner.run(warm, 5 * CALL_TIMEOUT_MS)
      for (const [k, o] of outcomes.entries()) {
        const problems = judge(warm[k]!, o)
        t.same(problems, [], `warm-up ${warm[k]!.plugin} (${warm[k]!.mode}) on shard ${i}`)
      }
    }
    const dirs = [world.stateRoot, ...runners.map((r) => r.dir)]
    const namespaces = [topo.node, ...world.pods]
    const tSnap = Date.now()
    let baseline = await hostState(namespaces, dirs)
    t.comment(`set-up and warm-up ${((tSnap - started) / 1000).toFixed(1)} s, one state read ${((Date.now() - tSnap) / 1000).toFixed(1)} s`)
    const defaultDirsMarked = async () => Object.keys(await filesUnder('/run/cni')).filter((p) => p.includes(marker))

    const failures: string[] = []
    const byShard = Array.from({ length: SHARDS }, (_, i) => cases.filter((c) => c.shard === i))
    const rounds = Math.max(...byShard.map((s) => Math.ceil(s.length / PER_ROUND)))
    const stats = { inproc: 0, binary: 0, ok: 0, error: 0, ms: 0, leaks: 0, skeleton: 0 }
    for (let round = 0; round < rounds; round++) {
      const batches = byShard.map((s) => s.slice(round * PER_ROUND, (round + 1) * PER_ROUND))
      const roundStart = Date.now()
      const answers = await Promise.all(batches.map((b, i) => runners[i]!.run(b, BATCH_TIMEOUT_MS)))
      const ran: { c: FuzzCase; o: CaseOutcome }[] = []
      for (const [i, a] of answers.entries()) {
        if (a.stray !== '') failures.push(`runner ${i}, round ${round}: output outside any call: ${short(a.stray, 2000)}`)
        for (const [k, o] of a.outcomes.entries()) ran.push({ c: batches[i]![k]!, o })
      }
      for (const { c, o } of ran) {
        stats[c.mode]++
        stats[o.main.exitCode === 0 ? 'ok' : 'error']++
        stats.ms += o.main.ms
        const problems = judge(c, o)
        if (problems.length > 0) {
          failures.push(`${describe(c)}\n  exit ${o.main.exitCode}, stdout ${short(JSON.stringify(o.main.stdout), 600)}, stderr ${short(JSON.stringify(o.main.stderr), 600)}\n  - ${problems.join('\n  - ')}`)
        }
      }
      const readStart = Date.now()
      const now = await hostState(namespaces, dirs)
      t.comment(`round ${round + 1}/${rounds}: cases ${((readStart - roundStart) / 1000).toFixed(1)} s, state read ${((Date.now() - readStart) / 1000).toFixed(1)} s`)
      const all = diffState(baseline, now)
      const diff = all.filter((l) => !isSkeleton(l))
      if (all.length > diff.length) stats.skeleton += all.length - diff.length
      if (all.length > 0) baseline = now
      if (diff.length > 0) {
        stats.leaks++
        const succeeded = ran.filter(({ o }) => o.main.exitCode === 0 && o.main.stdout !== '').map(({ c }) => c.n)
        failures.push(`round ${round} (cases ${ran.map(({ c }) => c.n).join(',')}) changed the host:\n  ${diff.slice(0, 40).join('\n  ')}\n  ADDs that succeeded in this round: ${succeeded.join(',')}`)
      }
    }
    t.same(await defaultDirsMarked(), [], `no file of the run (${marker}) in /run/cni`)

    const secs = ((Date.now() - started) / 1000).toFixed(0)
    t.comment(`${cases.length} cases (${stats.inproc} in process, ${stats.binary} binaries) in ${rounds} rounds, ${secs} s; ` +
      `${stats.ok} exit 0, ${stats.error} CNI errors; mean call ${(stats.ms / Math.max(1, cases.length)).toFixed(0)} ms; ` +
      `${stats.skeleton} skeleton objects added for another mark bit or admin chain (see isSkeleton)`)
    for (const f of failures.slice(0, 25)) t.comment(f)
    if (failures.length > 25) t.comment(`... and ${failures.length - 25} more failures`)
    t.equal(failures.length, 0, `every case ends well and leaves the host as it was (seed ${seed}; replay: CC_FUZZ_SEED=${seed} CC_FUZZ_CASES=${total})`)
  })
}
