// `npm run bench` (bench/run.sh bundles and starts this, as root, from the repository root).
// Benchmark, not a test: the reference Go meta plugins (/usr/lib/cni) against ours, interleaved,
// through libcni (cnirun) in private node namespaces, and writes bench/results/latest.md + .svg.
//   1. start-up: each binary answering VERSION (wall ms, peak RSS)
//   2. whole-pod ADD/DEL on an unloaded node and on a loaded one (5,000 kube-proxy-style services =
//      15,000 rules in iptables-nft's nat table of the node ns), for tuning+portmap and for all four
//      (tuning+portmap+bandwidth+firewall): reference, ours as separate binaries, ours as `chain`
//   3. growth: ADD/DEL p50 with 1 → N live pods, reference vs our `chain` (all four)
// Arguments (all optional): --pods N (per config, default 20), --growth 1,50,100,200 (live pod
// counts; --growth-500 appends 500), --samples N (pods measured per growth point, default 8),
// --services N (loaded node, default 5000), --skip-loaded, --skip-growth.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stats } from './lib.js'
import { growthSvg, type Series } from './svg.js'

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name)
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt
}
const flag = (name: string): boolean => process.argv.includes(name)
const int = (name: string, dflt: number, max: number): number => {
  const n = Number(arg(name, String(dflt)))
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be 1..${max}`)
  return n
}
const PODS = int('--pods', 20, 1000)
const SAMPLES = int('--samples', 8, 200)
const SERVICES = int('--services', 5000, 50_000)
const GROWTH = [...arg('--growth', '1,50,100,200').split(',').map(Number), ...(flag('--growth-500') ? [500] : [])]
if (GROWTH.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) throw new Error('--growth: pod counts 1..2000')

const repo = process.cwd()
const tag = randomBytes(3).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'ccbench-'))
const cnirunBin = join(repo, '.cache', 'cnirun')
const ourBin = join(repo, 'bin')
const REF = '/usr/lib/cni'

/** every child's environment: no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS (both slow Node's start) */
const baseEnv: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS') baseEnv[k] = v

const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], env: baseEnv, timeout: 120_000, maxBuffer: 256 << 20 })
const liveNetns = new Set<string>()
const netnsAdd = (name: string): void => { sh('ip', ['netns', 'add', name]); liveNetns.add(name) }
const netnsDel = (name: string): void => { spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 30_000 }); liveNetns.delete(name) }

// ---- configurations -------------------------------------------------------------------------

type Metas = 'tp' | 'all'
interface Variant { key: string; label: string; cniPath: string; conflist: string; ours: boolean }

const conflist = (name: string, subnet: string, bridge: string, metas: object[]) => ({
  cniVersion: '1.0.0', name,
  plugins: [
    {
      type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, `ipam-${name}`) },
    },
    ...metas,
  ],
})

const metaConfs = (ours: boolean, metas: Metas, id: string): object[] => {
  const d = (what: string) => join(dir, `${what}-${id}`)
  const tuning = { type: 'tuning', mtu: 1400, sysctl: { 'net.core.somaxconn': '1024' }, ...(ours ? { dataDir: d('tuning') } : { dataDir: d('tuning') }) }
  const portmap = { type: 'portmap', capabilities: { portMappings: true }, ...(ours ? { stateDir: d('portmap') } : {}) }
  const bandwidth = { type: 'bandwidth', capabilities: { bandwidth: true }, ...(ours ? { dataDir: d('bandwidth') } : {}) }
  const firewall = { type: 'firewall', ...(ours ? { backend: 'nftables', stateDir: d('firewall') } : {}) }
  return metas === 'tp' ? [tuning, portmap] : [tuning, portmap, bandwidth, firewall]
}

/** the variants of one node: 0 baseline, then per meta set: R reference, B our binaries, C our chain */
const variants = (node: string, subnet: string): Variant[] => {
  const w = (key: string, conf: object): string => {
    const path = join(dir, `${node}-${key}.conflist`)
    writeFileSync(path, JSON.stringify(conf, null, 2))
    return path
  }
  const ours = `${ourBin}:${REF}`
  const net = (key: string, metas: object[]) => w(key, conflist(`b${key}${tag}`, subnet, 'ccb0', metas))
  const out: Variant[] = [{ key: '0', label: 'baseline: bridge + host-local', cniPath: REF, conflist: net('0', []), ours: false }]
  for (const m of ['tp', 'all'] as const) {
    const what = m === 'tp' ? 'tuning+portmap' : 'all four'
    out.push(
      { key: `R-${m}`, label: `reference ${what}`, cniPath: REF, conflist: net(`R${m}`, metaConfs(false, m, `${node}-R${m}`)), ours: false },
      { key: `B-${m}`, label: `ours ${what}, separate binaries`, cniPath: ours, conflist: net(`B${m}`, metaConfs(true, m, `${node}-B${m}`)), ours: true },
      {
        key: `C-${m}`, label: `ours ${what}, \`chain\` plugin`, cniPath: ours, ours: true,
        conflist: net(`C${m}`, [{
          type: 'chain', capabilities: { portMappings: true, bandwidth: true }, plugins: metaConfs(true, m, `${node}-C${m}`),
        }]),
      },
    )
  }
  return out
}

const capArgs = (port: number) => JSON.stringify({
  portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }],
  bandwidth: { ingressRate: 100_000_000, ingressBurst: 1_000_000, egressRate: 100_000_000, egressBurst: 1_000_000 },
})

// ---- one cnirun call: wall ms and the peak RSS of cnirun and every plugin process it ran ------------

interface Sample { ms: number; rssKiB: number }

const cnirun = (node: string, v: Variant, verb: 'add' | 'del', pod: string, id: string, port: number): Sample => {
  const rssFile = join(dir, 'rss')
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'nsenter', `--net=/run/netns/${node}`, '--', cnirunBin, verb, v.conflist, `/run/netns/${pod}`, id, 'eth0'], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...baseEnv, CNI_PATH: v.cniPath, CAP_ARGS: capArgs(port), CNI_CACHE_DIR: join(dir, 'cache') },
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${v.key}: cnirun ${verb} ${id} exited ${r.status}: ${r.stdout}${r.stderr}`)
  return { ms, rssKiB: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) }
}

// ---- node namespaces --------------------------------------------------------------------------

const makeNode = (name: string): void => {
  netnsAdd(name)
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
}

/** kube-proxy (iptables mode) style: per service one KUBE-SERVICES match, one SVC jump, one SEP DNAT */
const loadServices = (node: string, n: number): void => {
  const chains = [':KUBE-SERVICES - [0:0]']
  const rules = ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', '-A OUTPUT -j KUBE-SERVICES']
  for (let i = 0; i < n; i++) {
    const h = (i + 1).toString(16).toUpperCase().padStart(16, '0')
    const vip = `10.96.${(i >> 8) & 255}.${i & 255}`
    chains.push(`:KUBE-SVC-${h} - [0:0]`, `:KUBE-SEP-${h} - [0:0]`)
    rules.push(
      `-A KUBE-SERVICES -d ${vip}/32 -p tcp -m comment --comment "ns/svc${i}:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-${h}`,
      `-A KUBE-SVC-${h} -m comment --comment "ns/svc${i}:http" -j KUBE-SEP-${h}`,
      `-A KUBE-SEP-${h} -p tcp -m comment --comment "ns/svc${i}:http" -m tcp -j DNAT --to-destination 10.244.${(i >> 8) & 255}.${i & 255}:8080`,
    )
  }
  sh('ip', ['netns', 'exec', node, 'iptables-nft-restore', '--noflush'], ['*nat', ...chains, ...rules, 'COMMIT', ''].join('\n'))
}

// ---- phase 2: interleaved pods --------------------------------------------------------------

type Table = Record<string, { add: Sample[]; del: Sample[] }>

let stop = false
const podRounds = async (node: string, vs: Variant[], rounds: number, label: string): Promise<Table> => {
  const out: Table = {}
  for (const v of vs) out[v.key] = { add: [], del: [] }
  for (let r = 0; r < rounds + 1 && !stop; r++) { // round 0 warms the caches and is not counted
    for (let i = 0; i < vs.length && !stop; i++) {
      const v = vs[(i + r) % vs.length] as Variant
      const pod = `ccb-pod-${tag}`
      netnsAdd(pod)
      try {
        const add = cnirun(node, v, 'add', pod, `p-${v.key}-${r}`, 18080)
        const del = cnirun(node, v, 'del', pod, `p-${v.key}-${r}`, 18080)
        if (r > 0) { out[v.key]?.add.push(add); out[v.key]?.del.push(del) }
      } finally {
        netnsDel(pod)
      }
      await new Promise((res) => setImmediate(res))
    }
    process.stderr.write(`${label}: round ${r}/${rounds}${r === 0 ? ' (warm-up)' : ''}\n`)
  }
  return out
}

// ---- phase 3: growth ------------------------------------------------------------------------

interface GrowthPoint { live: number; add: number; del: number }

/** live pods of one variant in its own node ns; at each count, SAMPLES extra pods measured (ADD+DEL) */
const growth = async (vs: Variant[]): Promise<Record<string, GrowthPoint[]>> => {
  const nodes = vs.map((v, i) => ({ v, node: `ccb-g${i}-${tag}`, live: 0 }))
  for (const n of nodes) makeNode(n.node)
  const out: Record<string, GrowthPoint[]> = {}
  for (const n of nodes) out[n.v.key] = []
  for (const target of [...GROWTH].sort((a, b) => a - b)) {
    for (const n of nodes) {
      while (n.live < target - 1 && !stop) { // the measured pod is the target-th
        const pod = `ccb-g-${tag}-${n.node.slice(5, 7)}-${n.live}`
        netnsAdd(pod)
        cnirun(n.node, n.v, 'add', pod, `g${n.live}`, 20000 + n.live)
        n.live++
      }
    }
    const acc: Record<string, { add: number[]; del: number[] }> = {}
    for (const n of nodes) acc[n.v.key] = { add: [], del: [] }
    for (let s = 0; s < SAMPLES + 1 && !stop; s++) {
      for (const n of s % 2 ? [...nodes].reverse() : nodes) {
        const pod = `ccb-gm-${tag}`
        netnsAdd(pod)
        try {
          const a = cnirun(n.node, n.v, 'add', pod, 'measured', 19999)
          const d = cnirun(n.node, n.v, 'del', pod, 'measured', 19999)
          if (s > 0) { acc[n.v.key]?.add.push(a.ms); acc[n.v.key]?.del.push(d.ms) }
        } finally {
          netnsDel(pod)
        }
      }
    }
    for (const n of nodes) out[n.v.key]?.push({ live: target, add: stats(acc[n.v.key]!.add).p50, del: stats(acc[n.v.key]!.del).p50 })
    process.stderr.write(`growth: ${target} live pods measured\n`)
    await new Promise((res) => setImmediate(res))
  }
  return out
}

// ---- phase 1: start-up ----------------------------------------------------------------------

const startup = (file: string, n = 15): { ms: number; rssMiB: number } => {
  const ms: number[] = []
  const rss: number[] = []
  const rssFile = join(dir, 'rss')
  for (let i = 0; i < n + 1; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, file], { input: '{"cniVersion":"1.0.0"}', encoding: 'utf8', env: { ...baseEnv, CNI_COMMAND: 'VERSION' } })
    const t = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.status !== 0 || !r.stdout.includes('supportedVersions')) throw new Error(`${file} VERSION: ${r.stdout}${r.stderr}`)
    if (i > 0) { ms.push(t); rss.push(Number(readFileSync(rssFile, 'utf8').trim()) / 1024) }
  }
  return { ms: stats(ms).p50, rssMiB: stats(rss).p50 }
}

// ---- report ---------------------------------------------------------------------------------

const f = (x: number): string => x.toFixed(1)
const sgn = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

const pods = (title: string, vs: Variant[], t: Table): string[] => {
  const p = (k: string, verb: 'add' | 'del') => stats((t[k]?.[verb] ?? []).map((s) => s.ms))
  const rss = (k: string) => Math.max(...(t[k]?.add ?? []).concat(t[k]?.del ?? []).map((s) => s.rssKiB)) / 1024
  const base = { add: p('0', 'add').p50, del: p('0', 'del').p50 }
  const lines = [`### ${title}`, '', '| variant | ADD p50 | ADD p90 | DEL p50 | DEL p90 | meta ADD | meta DEL | peak RSS MiB |', '|---|---|---|---|---|---|---|---|']
  for (const v of vs) {
    const a = p(v.key, 'add')
    const d = p(v.key, 'del')
    const meta = v.key === '0' ? '| – | – ' : `| ${sgn(a.p50 - base.add)} | ${sgn(d.p50 - base.del)} `
    lines.push(`| ${v.label} | ${f(a.p50)} | ${f(a.p90)} | ${f(d.p50)} | ${f(d.p90)} ${meta}| ${f(rss(v.key))} |`)
  }
  lines.push('', 'Meta cost = variant p50 − baseline p50. Ratio of ours to the reference (meta cost, p50):', '', '| ours | ADD | DEL |', '|---|---|---|')
  for (const m of ['tp', 'all']) {
    const ref = { add: p(`R-${m}`, 'add').p50 - base.add, del: p(`R-${m}`, 'del').p50 - base.del }
    for (const k of [`B-${m}`, `C-${m}`]) {
      const label = vs.find((v) => v.key === k)?.label ?? k
      lines.push(`| ${label} | ${((p(k, 'add').p50 - base.add) / ref.add).toFixed(2)}× | ${((p(k, 'del').p50 - base.del) / ref.del).toFixed(2)}× |`)
    }
  }
  return [...lines, '']
}

const main = async (): Promise<void> => {
  if (process.getuid?.() !== 0) throw new Error('run as root')
  const onSignal = (): void => { stop = true }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const started = Date.now()
  const md: string[] = []
  try {
    mkdirSync(join(dir, 'cache'), { recursive: true })
    // 1. start-up
    const su: [string, { ms: number; rssMiB: number }][] = [['`node -e 0`', { ms: 0, rssMiB: 0 }]]
    {
      const xs: number[] = []
      for (let i = 0; i < 15; i++) { const t0 = process.hrtime.bigint(); spawnSync(process.execPath, ['-e', '0'], { env: baseEnv }); xs.push(Number(process.hrtime.bigint() - t0) / 1e6) }
      su[0] = ['`node -e 0`', { ms: stats(xs).p50, rssMiB: NaN }]
    }
    for (const p of ['tuning', 'portmap', 'bandwidth', 'firewall', 'chain']) su.push([`ours: bin/${p}`, startup(join(ourBin, p))])
    for (const p of ['tuning', 'portmap', 'bandwidth', 'firewall']) su.push([`reference: ${REF}/${p}`, startup(join(REF, p))])
    md.push('## Start-up: one process answering VERSION', '', '15 runs each after one warm-up; wall ms p50 (spawn to exit, through `/usr/bin/time`), peak RSS p50.', '',
      '| binary | wall ms | peak RSS MiB |', '|---|---|---|', ...su.map(([n, s]) => `| ${n} | ${f(s.ms)} | ${Number.isNaN(s.rssMiB) ? '–' : f(s.rssMiB)} |`), '')

    // 2. pods, unloaded then loaded
    const unloaded = `ccb-node-${tag}`
    makeNode(unloaded)
    const vsU = variants(unloaded, '10.231.0.0/24')
    const tU = await podRounds(unloaded, vsU, PODS, 'unloaded')
    md.push('## Whole-pod ADD/DEL (ms, through libcni)', '', ...pods('Unloaded node', vsU, tU))
    netnsDel(unloaded)
    if (!flag('--skip-loaded') && !stop) {
      const loaded = `ccb-nodeL-${tag}`
      makeNode(loaded)
      const t0 = Date.now()
      loadServices(loaded, SERVICES)
      const rules = sh('ip', ['netns', 'exec', loaded, 'iptables-nft-save', '-t', 'nat']).split('\n').filter((l) => l.startsWith('-A')).length
      process.stderr.write(`loaded node: ${rules} nat rules in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
      const vsL = variants(loaded, '10.232.0.0/24')
      const tL = await podRounds(loaded, vsL, PODS, 'loaded')
      md.push(...pods(`Loaded node: ${SERVICES} services, ${rules} rules in iptables-nft's nat table`, vsL, tL))
      netnsDel(loaded)
    }

    // 3. growth
    let svg = ''
    if (!flag('--skip-growth') && !stop) {
      // the baseline grows too (the bridge plugin with N ports): meta cost = variant − baseline at each count
      const all = variants(`growth`, '10.233.0.0/16').filter((v) => v.key === '0' || v.key === 'R-all' || v.key === 'C-all')
      const g = await growth(all)
      const series: Series[] = all.map((v) => ({ label: v.label, points: g[v.key] ?? [] }))
      svg = growthSvg(series)
      writeFileSync(join(repo, 'bench', 'results', 'latest.svg'), svg)
      md.push('## Growth: p50 ms against live pods (all four meta plugins, unloaded node)', '',
        `Each variant in its own node namespace; at each count, ${SAMPLES} extra pods ADDed and DELeted (after one warm-up), alternating variants.`, '',
        '| live pods | ' + all.map((v) => `${v.label} ADD | DEL`).join(' | ') + ' |', '|---|' + all.map(() => '---|---|').join(''),
        ...GROWTH.map((n, i) => `| ${n} | ${all.map((v) => `${f(g[v.key]?.[i]?.add ?? NaN)} | ${f(g[v.key]?.[i]?.del ?? NaN)}`).join(' | ')} |`), '',
        `Growth ${GROWTH[0]} → ${GROWTH.at(-1)} (whole pod, p50 ratio): ` + all.map((v) => {
          const p = g[v.key] ?? []
          return `${v.label} ADD ${((p.at(-1)?.add ?? 0) / (p[0]?.add ?? 1)).toFixed(2)}×, DEL ${((p.at(-1)?.del ?? 0) / (p[0]?.del ?? 1)).toFixed(2)}×`
        }).join('; ') + '.', '',
        `Meta cost (variant − baseline at the same count) ${GROWTH[0]} → ${GROWTH.at(-1)}: ` + all.filter((v) => v.key !== '0').map((v) => {
          const p = g[v.key] ?? []
          const b = g['0'] ?? []
          const meta = (i: number, verb: 'add' | 'del') => (p.at(i)?.[verb] ?? NaN) - (b.at(i)?.[verb] ?? NaN)
          return `${v.label} ADD ${f(meta(0, 'add'))} → ${f(meta(-1, 'add'))} ms (${(meta(-1, 'add') / meta(0, 'add')).toFixed(2)}×), ` +
            `DEL ${f(meta(0, 'del'))} → ${f(meta(-1, 'del'))} ms (${(meta(-1, 'del') / meta(0, 'del')).toFixed(2)}×)`
        }).join('; ') + '.', '', '![latency against live pods](latest.svg)', '')
    }
    if (stop) throw new Error('interrupted')
    const head = [
      '# Benchmark: cni-chain against the reference plugins', '',
      `Run ${new Date().toISOString()} (${((Date.now() - started) / 60000).toFixed(1)} min), Node ${process.version}, ${PODS} pods per variant (after one warm-up round), ` +
        `load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}. Reproduce: \`npm run bench\` as root (see bench/run.ts for the options).`, '',
      'Every ADD/DEL is `cnirun` (libcni) started as `/usr/bin/time nsenter --net=NODE cnirun …` in a private node namespace: wall ms with every process start,',
      'as a runtime pays it; peak RSS = the largest process of the call (cnirun or a plugin). Pods: fresh netns each, bridge + host-local, then tuning',
      '{mtu 1400, somaxconn}, portmap (one tcp port), bandwidth (100 Mbit/s both ways), firewall. The reference firewall and portmap use iptables',
      '(iptables-nft); ours use nftables. Variants interleave round-robin, start rotated each round. NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset.', '',
    ]
    writeFileSync(join(repo, 'bench', 'results', 'latest.md'), [...head, ...md].join('\n'))
    process.stdout.write([...head, ...md].join('\n'))
  } finally {
    for (const ns of [...liveNetns]) netnsDel(ns)
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
