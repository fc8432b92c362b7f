// Benchmark (not a test): whole-pod ADD and DEL latency through libcni (cnirun, as containerd and
// CRI-O drive CNI), for Debian's bridge + host-local followed by tuning and portmap, in 4 variants:
//   0  baseline: bridge + host-local alone
//   A  + the reference Go tuning and portmap (iptables backend)       CNI_PATH=/usr/lib/cni
//   B  + cni-chain's tuning and portmap as separate binaries          CNI_PATH=bin:/usr/lib/cni
//   C  + cni-chain's `chain` plugin hosting tuning+portmap in one process   (same CNI_PATH)
// Variants alternate round-robin inside every round (the start rotates each round), so machine
// noise hits all of them alike. Everything runs in a private "node" netns; each pod gets a fresh
// netns, removed after its DEL. All of it (namespaces, temp dir) is removed at the end, also on
// failure or Ctrl-C.
//
//   npm run build && npx esbuild bench/chain.ts --bundle --platform=node --format=esm --outfile=/tmp/chainbench.mjs \
//     && env -u NODE_EXTRA_CA_CERTS node /tmp/chainbench.mjs [ROUNDS]      (from the repository root, as root)
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stats, writeResults } from './lib.js'

const ROUNDS = Number(process.argv[2] ?? 20)
const WARMUP = 2
const HOST_PORT = 18080
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 1000) throw new Error(`ROUNDS must be 1..1000, got ${process.argv[2]}`)

const repo = process.cwd() // run from the repository root
const tag = randomBytes(3).toString('hex')
const node = `ccbench-node-${tag}`
const nodePath = `/run/netns/${node}`
const dir = mkdtempSync(join(tmpdir(), 'ccbench-'))
const cnirunBin = join(repo, '.cache', 'cnirun')
const ourBin = join(repo, 'bin')

/** Environment of every child: no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS (both slow Node start-up). */
const baseEnv: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) {
  if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS') baseEnv[k] = v
}

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv, timeout: 60_000 })
const inNode = (cmd: string, args: string[]): string => sh('nsenter', [`--net=${nodePath}`, '--', cmd, ...args])

interface Variant { key: string; label: string; cniPath: string; conflist: string }

const tuning = (dataDir: string) => ({ type: 'tuning', dataDir, mtu: 1400, sysctl: { 'net.core.somaxconn': '1024' } })

const conflist = (name: string, metas: object[]): object => ({
  cniVersion: '1.0.0',
  name,
  plugins: [
    {
      type: 'bridge', bridge: 'ccb0', isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: 'host-local', ranges: [[{ subnet: '10.231.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }],
        dataDir: join(dir, 'ipam'),
      },
    },
    ...metas,
  ],
})

const writeConflist = (file: string, conf: object): string => {
  const path = join(dir, file)
  writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`)
  return path
}

const variants = (): Variant[] => {
  const sep = `${ourBin}:/usr/lib/cni`
  const pmB = { type: 'portmap', capabilities: { portMappings: true }, stateDir: join(dir, 'portmap-B') }
  const pmC = { type: 'portmap', capabilities: { portMappings: true }, stateDir: join(dir, 'portmap-C') }
  return [
    { key: '0', label: 'baseline: bridge+host-local', cniPath: '/usr/lib/cni', conflist: writeConflist('v0.conflist', conflist('bench0', [])) },
    {
      key: 'A', label: 'A: + reference tuning, portmap (iptables)', cniPath: '/usr/lib/cni',
      conflist: writeConflist('vA.conflist', conflist('benchA', [tuning(join(dir, 'tuning-A')), { type: 'portmap', capabilities: { portMappings: true } }])),
    },
    {
      key: 'B', label: 'B: + cni-chain tuning, portmap (2 binaries)', cniPath: sep,
      conflist: writeConflist('vB.conflist', conflist('benchB', [tuning(join(dir, 'tuning-B')), pmB])),
    },
    {
      key: 'C', label: 'C: + cni-chain `chain` {tuning, portmap}', cniPath: sep,
      conflist: writeConflist('vC.conflist', conflist('benchC', [
        { type: 'chain', capabilities: { portMappings: true }, plugins: [tuning(join(dir, 'tuning-C')), pmC] },
      ])),
    },
  ]
}

const capArgs = JSON.stringify({ portMappings: [{ hostPort: HOST_PORT, containerPort: 80, protocol: 'tcp' }] })

/** One cnirun verb in the node netns; returns wall ms (process start-ups included, as a runtime pays them). */
const cnirun = (v: Variant, verb: 'add' | 'del', podPath: string, id: string): number => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('nsenter', [`--net=${nodePath}`, '--', cnirunBin, verb, v.conflist, podPath, id, 'eth0'], {
    encoding: 'utf8', timeout: 60_000,
    env: { ...baseEnv, CNI_PATH: v.cniPath, CAP_ARGS: capArgs, CNI_CACHE_DIR: join(dir, 'cache') },
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`variant ${v.key}: cnirun ${verb} ${id} exited ${r.status} ${r.signal ?? ''}: ${r.stdout}${r.stderr}`)
  return ms
}

const liveNetns = new Set<string>()
const netnsAdd = (name: string): void => {
  sh('ip', ['netns', 'add', name])
  liveNetns.add(name)
}
const netnsDel = (name: string): void => {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 30_000 })
  liveNetns.delete(name)
}

/** checkPod verifies (once per variant, outside the timings) that ADD did what the conflist says. */
const checkPod = (v: Variant, pod: string): void => {
  const mtu = sh('ip', ['-n', pod, '-o', 'link', 'show', 'eth0'])
  const somax = sh('ip', ['netns', 'exec', pod, 'cat', '/proc/sys/net/core/somaxconn']).trim()
  const wantTuned = v.key !== '0'
  if (mtu.includes('mtu 1400') !== wantTuned || (somax === '1024') !== wantTuned) {
    throw new Error(`variant ${v.key}: pod not as expected (somaxconn ${somax}; ${mtu.trim()})`)
  }
  if (v.key === '0') return
  const rules = v.key === 'A' ? inNode('iptables-save', ['-t', 'nat']) : inNode('nft', ['list', 'ruleset'])
  if (!rules.includes(String(HOST_PORT))) throw new Error(`variant ${v.key}: host port ${HOST_PORT} not found in the node's rules`)
}

let stop = false
const onSignal = (): void => { stop = true }

/** One pod: fresh netns, ADD, DEL, netns removed. */
const podRound = (v: Variant, id: string, check: boolean): { add: number; del: number } => {
  const pod = `ccbench-pod-${tag}-${v.key}`
  netnsAdd(pod)
  try {
    const add = cnirun(v, 'add', `/run/netns/${pod}`, id)
    try {
      if (check) checkPod(v, pod)
    } catch (e) {
      spawnSync('nsenter', [`--net=${nodePath}`, '--', cnirunBin, 'del', v.conflist, `/run/netns/${pod}`, id, 'eth0'], {
        timeout: 60_000, stdio: 'ignore', env: { ...baseEnv, CNI_PATH: v.cniPath, CAP_ARGS: capArgs, CNI_CACHE_DIR: join(dir, 'cache') },
      })
      throw e
    }
    const del = cnirun(v, 'del', `/run/netns/${pod}`, id)
    return { add, del }
  } finally {
    netnsDel(pod)
  }
}

const median = (xs: number[]): number => stats(xs).p50

/** Start-up reference: median and min wall ms of n runs of a command (no netns needed). */
const startup = (cmd: string, args: string[], env: Record<string, string>, input: string, n = 10) => {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: { ...baseEnv, ...env }, timeout: 30_000 })
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stdout}${r.stderr}`)
  }
  return stats(xs)
}

const ensureCnirun = (): void => {
  if (existsSync(cnirunBin)) return
  mkdirSync(join(repo, '.cache'), { recursive: true })
  const tmp = `${cnirunBin}.tmp-${process.pid}`
  execFileSync('bash', [join(repo, 'test', 'tools', 'cnirun', 'build.sh'), tmp], { stdio: 'inherit', env: baseEnv, timeout: 600_000 })
  renameSync(tmp, cnirunBin)
}

const f = (x: number): string => x.toFixed(1)
const sgn = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`

const main = async (): Promise<void> => {
  if (process.getuid?.() !== 0) throw new Error('run as root')
  for (const p of ['tuning', 'portmap', 'chain']) if (!existsSync(join(ourBin, p))) throw new Error(`bin/${p} missing: npm run build`)
  ensureCnirun()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  sh('ip', ['netns', 'add', node])
  liveNetns.add(node)
  try {
    mkdirSync(join(dir, 'cache'), { recursive: true })
    inNode('ip', ['link', 'set', 'lo', 'up'])
    inNode('sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    const vs = variants()
    const add: Record<string, number[]> = {}
    const del: Record<string, number[]> = {}
    for (const v of vs) { add[v.key] = []; del[v.key] = [] }

    const total = WARMUP + ROUNDS
    for (let r = 0; r < total && !stop; r++) {
      for (let i = 0; i < vs.length && !stop; i++) {
        const v = vs[(i + r) % vs.length] as Variant // rotate the start so no variant always runs first
        const t = podRound(v, `ccb-${v.key}-${r}`, r === 0)
        if (r >= WARMUP) { add[v.key]?.push(t.add); del[v.key]?.push(t.del) }
        await new Promise((res) => setImmediate(res)) // let SIGINT/SIGTERM handlers run
      }
      process.stderr.write(`round ${r + 1}/${total}${r < WARMUP ? ' (warm-up)' : ''}\n`)
    }
    if (stop) throw new Error('interrupted')

    const base = { add: add['0'] ?? [], del: del['0'] ?? [] }
    const rows: string[] = []
    const over: string[] = []
    for (const v of vs) {
      const a = stats(add[v.key] ?? [])
      const d = stats(del[v.key] ?? [])
      rows.push(`| ${v.label} | ${f(a.p50)} | ${f(a.p90)} | ${f(d.p50)} | ${f(d.p90)} |`)
      if (v.key === '0') continue
      const b = { add: stats(base.add), del: stats(base.del) }
      // paired: same round, same machine moment
      const pairedAdd = median((add[v.key] ?? []).map((x, i) => x - (base.add[i] ?? 0)))
      const pairedDel = median((del[v.key] ?? []).map((x, i) => x - (base.del[i] ?? 0)))
      over.push(`| ${v.key} | ${sgn(a.p50 - b.add.p50)} | ${sgn(a.p90 - b.add.p90)} | ${sgn(pairedAdd)} | ` +
        `${sgn(d.p50 - b.del.p50)} | ${sgn(d.p90 - b.del.p90)} | ${sgn(pairedDel)} |`)
    }

    // start-up reference (outside the netns; VERSION touches nothing)
    const ver = { CNI_COMMAND: 'VERSION' }
    const verIn = '{"cniVersion":"1.0.0"}'
    const su = [
      ['`node -e 0`', startup(process.execPath, ['-e', '0'], {}, '')],
      ['`bin/tuning` VERSION (B: one of 2 Node processes)', startup(join(ourBin, 'tuning'), [], ver, verIn)],
      ['`bin/chain` VERSION (C: the one Node process)', startup(join(ourBin, 'chain'), [], ver, verIn)],
      ['`/usr/lib/cni/tuning` VERSION (A, Go)', startup('/usr/lib/cni/tuning', [], ver, verIn)],
    ] as const

    const md = [
      '# chain benchmark: whole-pod ADD/DEL through libcni',
      '',
      `Run: ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} measured rounds after ${WARMUP} warm-up rounds.`,
      '',
      'Method: `bench/chain.ts`. Each measurement is one `cnirun add` or `cnirun del` (libcni, `.cache/cnirun`) started as',
      '`nsenter --net=NODE -- cnirun …` inside a private node netns (lo up, ip_forward=1); wall-clock ms, every process',
      'start-up included, as a runtime pays it. Each pod gets a fresh netns (created and removed outside the timing).',
      'Conflist: Debian bridge + host-local (isGateway, ipMasq false, private dataDir), then tuning',
      '{sysctl net.core.somaxconn=1024, mtu 1400} and portmap (CAP_ARGS: one tcp mapping ' + `${HOST_PORT}→80). ` +
        'Every round runs the 4 variants once each, ADD then DEL of one pod, round-robin with the start rotated per round.',
      'The first round checks each pod (mtu, somaxconn, host port in iptables/nft) outside the timings.',
      'NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset for all children. All variants share the node netns, so after the first',
      "round its ruleset holds the reference portmap's iptables skeleton chains and cni-chain's nft portmap table.",
      '',
      '| variant | ADD p50 | ADD p90 | DEL p50 | DEL p90 |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      'Meta-plugin overhead = variant − baseline (ms). "paired" = median over rounds of (variant − baseline in the same round).',
      '',
      '| variant | ADD Δp50 | ADD Δp90 | ADD paired | DEL Δp50 | DEL Δp90 | DEL paired |',
      '|---|---|---|---|---|---|---|',
      ...over,
      '',
      'Start-up reference (10 runs each, outside any netns, wall ms):',
      '',
      '| command | p50 | min |',
      '|---|---|---|',
      ...su.map(([name, s]) => `| ${name} | ${f(s.p50)} | ${f(s.min)} |`),
      '',
    ].join('\n')
    writeResults(repo, 'chain', md)
  } finally {
    for (const ns of [...liveNetns]) if (ns !== node) netnsDel(ns)
    netnsDel(node)
    rmSync(dir, { recursive: true, force: true })
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

await main()
