// The e2e fuzz generator (test/e2e/lib/fuzz/) runs its cases as root on real namespaces, so what
// it may generate is checked here without root: it never throws, case n depends only on (seed, n),
// it covers every plugin and verb with valid and hostile calls, and it never points a plugin at a
// directory outside the shard's own (a valid absolute path, or null/"" which mean the default
// dir under /run/cni), nor at a plugin type that is a real delegate (which would create links).
import t from 'tap'
import { generateCase, generateCases } from '../../e2e/lib/fuzz/generate.js'
import { FUZZ_VERBS, PLUGINS, type FuzzContext, type Shard } from '../../e2e/lib/fuzz/types.js'

const shard = (i: number): Shard => ({
  index: i, network: `fzTESTn${i}`, podPath: `/run/netns/cc-fzpod${i}-x`, ifname: 'eth0', bridge: `fzbr${i}`, hostVeth: `fzh${i}`,
  macs: { bridge: '02:00:00:00:00:01', hostVeth: '02:00:00:00:00:02', pod: '02:00:00:00:00:03' },
  v4: { addr: `10.99.${i}.2`, gateway: `10.99.${i}.1`, len: 24 }, v6: { addr: `fd00:99:${i}::2`, gateway: `fd00:99:${i}::1`, len: 64 },
  hostPortBase: 20000 + i * 100,
  dirs: { tuning: `/tmp/fz/state/shard${i}/tuning`, portmap: `/tmp/fz/state/shard${i}/portmap`, bandwidth: `/tmp/fz/state/shard${i}/bandwidth`, firewall: `/tmp/fz/state/shard${i}/firewall` },
})
const ctx: FuzzContext = { marker: 'fzTEST', cniPath: '/tmp/fz/cni-bin', shards: [0, 1, 2, 3].map(shard) }

const DELEGATES = new Set(['bridge', 'ptp', 'macvlan', 'ipvlan', 'vlan', 'host-device', 'host-local', 'static', 'dhcp', 'loopback', 'vrf', 'sbr', 'dummy', 'tap'])
const DIR_KEY = /^(datadir|statedir)$/i

/** a dir value a plugin would use: absolute, no NUL or newline, no "." or ".." segment */
const usable = (v: unknown): boolean =>
  v === null || v === '' || (typeof v === 'string' && v.startsWith('/') && !/[\0\n]/.test(v) && !v.split('/').includes('..'))

/** problems: every dir key outside the shard's dirs, every plugin entry without its dir, every delegate type */
const problems = (value: unknown, shardDir: string, where: string, out: string[], depth = 0): void => {
  if (depth > 50) return // the "deep value" mutations: plugins refuse them before any directory
  if (Array.isArray(value)) {
    value.forEach((v, i) => problems(v, shardDir, `${where}[${i}]`, out, depth + 1))
    return
  }
  if (typeof value !== 'object' || value === null) return
  const obj = value as Record<string, unknown>
  for (const [k, v] of Object.entries(obj)) {
    if (DIR_KEY.test(k) && usable(v) && !(typeof v === 'string' && v.startsWith(`${shardDir}/`))) out.push(`${where}.${k} = ${JSON.stringify(v)}`)
    problems(v, shardDir, `${where}.${k}`, out, depth + 1)
  }
  const type = obj.type
  if (typeof type === 'string' && DELEGATES.has(type)) out.push(`${where}.type = ${type}`)
  const dirKey = type === 'tuning' || type === 'bandwidth' ? 'dataDir' : type === 'portmap' || type === 'firewall' ? 'stateDir' : undefined
  if (dirKey && where !== '$.prevResult' && !Object.keys(obj).some((k) => DIR_KEY.test(k))) out.push(`${where}: a ${String(type)} entry without ${dirKey}`)
}

t.test('never throws, and never points a plugin outside the shard or at a delegate', async (t) => {
  let checked = 0
  const found: string[] = []
  for (const seed of [1, 2, 3, 12345, 2 ** 31 - 1]) {
    for (const c of generateCases(ctx, seed, 3000, 8)) {
      let conf: unknown
      try {
        conf = JSON.parse(c.call.stdin)
      } catch {
        continue // not JSON: no plugin gets as far as a directory
      }
      const before = found.length
      problems(conf, `/tmp/fz/state/shard${c.shard}`, '$', found)
      if (found.length > before) found.push(`  ^ seed ${seed} case ${c.n}: ${c.labels.join('; ')}`)
      checked++
      const netns = c.call.env.CNI_NETNS
      if (netns !== undefined && /^\/proc\/(1|self|thread-self)\/|^\/run\/netns\/cc-(node|client)-/.test(netns)) found.push(`seed ${seed} case ${c.n}: CNI_NETNS ${netns}`)
    }
  }
  t.ok(checked > 10000, `${checked} JSON configs checked`)
  t.same(found.slice(0, 20), [], 'no config points a plugin at another directory or a delegate')
})

t.test('case n depends only on the seed and n', async (t) => {
  const all = generateCases(ctx, 7, 300, 8)
  t.same(generateCase(ctx, 7, 250, 8), all[250], 'the same case alone and in a run')
  t.notSame(generateCase(ctx, 8, 250, 8).call, all[250]!.call, 'another seed, another case')
})

t.test('every plugin and verb, valid and hostile, in process and as binaries', async (t) => {
  const cases = generateCases(ctx, 42, 2400, 8)
  for (const p of PLUGINS) {
    for (const v of FUZZ_VERBS) {
      const of = cases.filter((c) => c.plugin === p && c.verb === v)
      t.ok(of.some((c) => c.labels.length === 0) && of.some((c) => c.labels.length > 0), `${p} ${v}: valid and hostile cases`)
    }
  }
  const binaries = cases.filter((c) => c.mode === 'binary').length
  t.ok(binaries > 270 && binaries <= 300, `every 8th case runs the binary (but those with a NUL in the environment): ${binaries}`)
  t.ok(cases.filter((c) => c.expect === 'error').length > 400, 'many cases must fail')
  t.ok(cases.filter((c) => c.expect === 'ok').length > 300, 'many cases must succeed')
  for (const c of cases.filter((c) => c.labels.length === 0)) {
    if (c.expect === 'error') t.fail(`valid case ${c.n} expects an error`)
  }
})
