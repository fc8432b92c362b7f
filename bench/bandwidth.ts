// Benchmark (not a test): how close TCP goodput gets to the configured rate, into the pod (iperf3
// from the node) and out of it (-R), at 1, 5, 20, 100, 500 and 1000 Mbit/s, for cni-chain's
// bandwidth and the reference Go plugin (Debian's /usr/lib/cni/bandwidth), both after Debian's
// bridge + host-local and driven through libcni (cnirun), with the same runtimeConfig: the rate and
// an explicit burst of 10 ms of traffic (cni-chain's default; the reference needs one). A last
// table gives each plugin containerd's input for a `kubernetes.io/*-bandwidth: 10M` annotation
// (burst 4294967295 bits, "none given").
// Variants alternate inside every rate; each cell is the median of REPS runs of SECONDS seconds.
// Everything runs in a private node netns with fresh pod netns, all removed at the end (also on
// failure or Ctrl-C). The machine's CPU is shared: the load average is printed with the results.
//
//   npm run build && npx esbuild bench/bandwidth.ts --bundle --platform=node --format=esm --outfile=/tmp/bwbench.mjs \
//     && env -u NODE_EXTRA_CA_CERTS node /tmp/bwbench.mjs [REPS] [SECONDS]      (from the repository root, as root)
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { stats, writeResults } from './lib.js'

const REPS = Number(process.argv[2] ?? 3)
const SECONDS = Number(process.argv[3] ?? 3)
if (!Number.isInteger(REPS) || REPS < 1 || REPS > 20) throw new Error(`REPS must be 1..20, got ${process.argv[2]}`)
if (!Number.isInteger(SECONDS) || SECONDS < 1 || SECONDS > 60) throw new Error(`SECONDS must be 1..60, got ${process.argv[3]}`)
const RATES_MBIT = [1, 5, 20, 100, 500, 1000]

const repo = process.cwd() // run from the repository root
const tag = randomBytes(3).toString('hex')
const node = `ccbw-node-${tag}`
const nodePath = `/run/netns/${node}`
const dir = mkdtempSync(join(tmpdir(), 'ccbw-'))
const cnirunBin = join(repo, '.cache', 'cnirun')

/** Environment of every child: no NODE_EXTRA_CA_CERTS, no NODE_OPTIONS (both slow Node start-up). */
const baseEnv: Record<string, string> = {}
for (const [k, v] of Object.entries(process.env)) {
  if (v !== undefined && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS') baseEnv[k] = v
}

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv, timeout: 120_000 })
const inNs = (ns: string, cmd: string, args: string[]): string => sh('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args])

interface Variant { key: string; label: string; cniPath: string; conflist: string }

const conflist = (name: string, dataDir?: string): object => ({
  cniVersion: '1.0.0',
  name,
  plugins: [
    {
      type: 'bridge', bridge: 'ccbw0', isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.232.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') },
    },
    { type: 'bandwidth', capabilities: { bandwidth: true }, ...(dataDir ? { dataDir } : {}) },
  ],
})

const writeConflist = (file: string, conf: object): string => {
  const path = join(dir, file)
  writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`)
  return path
}

const liveNetns = new Set<string>()
const netnsAdd = (name: string): void => {
  sh('ip', ['netns', 'add', name])
  liveNetns.add(name)
  inNs(name, 'ip', ['link', 'set', 'lo', 'up'])
}
const netnsDel = (name: string): void => {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 30_000 })
  liveNetns.delete(name)
}

const cnirun = (v: Variant, verb: 'add' | 'del', pod: string, capArgs: object): string => {
  const r = spawnSync('nsenter', [`--net=${nodePath}`, '--', cnirunBin, verb, v.conflist, `/run/netns/${pod}`, pod, 'eth0'], {
    encoding: 'utf8', timeout: 60_000,
    env: { ...baseEnv, CNI_PATH: v.cniPath, CAP_ARGS: JSON.stringify(capArgs), CNI_CACHE_DIR: join(dir, 'cache') },
  })
  if (r.status !== 0) throw new Error(`${v.key}: cnirun ${verb} exited ${r.status} ${r.signal ?? ''}: ${r.stdout}${r.stderr}`)
  return r.stdout
}

/** iperf3 from the node to the pod (reverse: the pod sends); the receiver's bits/s. */
const iperf = (podIp: string, reverse: boolean): number => {
  // the server may still be starting, or closing the previous test ("busy"): a few bounded retries
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync('nsenter', [`--net=${nodePath}`, '--', 'iperf3', '-c', podIp, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])], {
      encoding: 'utf8', timeout: (SECONDS + 20) * 1000, env: baseEnv,
    })
    const json = JSON.parse(r.stdout || '{}')
    const bps = json?.end?.sum_received?.bits_per_second
    if (typeof bps === 'number') return bps
    const why = String(json?.error ?? r.stderr)
    if (attempt >= 10 || !/busy|refused/.test(why)) throw new Error(`iperf3 failed (${r.status}): ${why}`)
    sh('sleep', ['0.5'])
  }
}

let stop = false
const onSignal = (): void => { stop = true }

/** One pod for one (variant, rate): ADD, REPS runs each way, DEL. Returns goodput/rate medians. */
const measurePod = (v: Variant, capArgs: object, rateBits: number): { into: number[]; out: number[]; tc: string } => {
  const pod = `ccbw-pod-${tag}-${v.key}`
  netnsAdd(pod)
  const server = spawn('nsenter', [`--net=/run/netns/${pod}`, '--', 'iperf3', '-s'], { stdio: 'ignore', env: baseEnv, detached: true })
  try {
    const result = JSON.parse(cnirun(v, 'add', pod, capArgs))
    try {
      const podIp = String(result.ips[0].address).split('/')[0] as string
      const hostVeth = String(result.interfaces[1].name)
      const tc = inNs(node, 'tc', ['qdisc', 'show', 'dev', hostVeth]).split('\n')[0]?.trim() ?? ''
      const into: number[] = []
      const out: number[] = []
      for (let i = 0; i < REPS && !stop; i++) {
        into.push(iperf(podIp, false) / rateBits)
        out.push(iperf(podIp, true) / rateBits)
      }
      return { into, out, tc }
    } finally {
      cnirun(v, 'del', pod, capArgs)
    }
  } finally {
    if (server.pid !== undefined) try { process.kill(-server.pid, 'SIGKILL') } catch { /* gone */ }
    netnsDel(pod)
  }
}

const ensureCnirun = (): void => {
  if (existsSync(cnirunBin)) return
  mkdirSync(join(repo, '.cache'), { recursive: true })
  const tmp = `${cnirunBin}.tmp-${process.pid}`
  execFileSync('bash', [join(repo, 'test', 'tools', 'cnirun', 'build.sh'), tmp], { stdio: 'inherit', env: baseEnv, timeout: 600_000 })
  renameSync(tmp, cnirunBin)
}

const f3 = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(3))
const cell = (xs: number[]): string => (xs.length === 0 ? '–' : `${f3(stats(xs).p50)} (${f3(Math.min(...xs))}–${f3(Math.max(...xs))})`)

const main = async (): Promise<void> => {
  if (process.getuid?.() !== 0) throw new Error('run as root')
  if (!existsSync(join(repo, 'bin', 'bandwidth'))) throw new Error('bin/bandwidth missing: npm run build')
  if (!existsSync('/usr/lib/cni/bandwidth')) throw new Error('/usr/lib/cni/bandwidth missing (containernetworking-plugins)')
  ensureCnirun()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  netnsAdd(node)
  const loadStart = loadavg()
  const started = Date.now()
  try {
    mkdirSync(join(dir, 'cache'), { recursive: true })
    inNs(node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
    const vs: Variant[] = [
      { key: 'ours', label: 'cni-chain bandwidth', cniPath: `${join(repo, 'bin')}:/usr/lib/cni`, conflist: writeConflist('ours.conflist', conflist('bwours', join(dir, 'bw'))) },
      { key: 'ref', label: 'reference bandwidth 1.1.1', cniPath: '/usr/lib/cni', conflist: writeConflist('ref.conflist', conflist('bwref')) },
    ]
    const rows: string[] = []
    const tcSeen: string[] = []
    for (const mbit of RATES_MBIT) {
      if (stop) break
      const rate = mbit * 1e6
      const burst = Math.max(Math.ceil(rate / 100), 2 * 1514 * 8) // 10 ms of traffic, at least two frames (bits)
      const capArgs = { bandwidth: { ingressRate: rate, ingressBurst: burst, egressRate: rate, egressBurst: burst } }
      const res: Record<string, { into: number[]; out: number[] }> = {}
      for (const v of vs) {
        const m = measurePod(v, capArgs, rate)
        res[v.key] = m
        tcSeen.push(`${v.key} ${mbit} Mbit/s: ${m.tc}`)
        process.stderr.write(`${mbit} Mbit/s ${v.key}: into ${m.into.map(f3).join(' ')} | out ${m.out.map(f3).join(' ')}\n`)
      }
      rows.push(`| ${mbit} | ${cell(res.ours?.into ?? [])} | ${cell(res.ours?.out ?? [])} | ${cell(res.ref?.into ?? [])} | ${cell(res.ref?.out ?? [])} |`)
    }
    // containerd's input for a 10M annotation: both plugins get the "no burst" sentinel
    const sentinelRows: string[] = []
    if (!stop) {
      const capArgs = { bandwidth: { IngressRate: 10_000_000, IngressBurst: 4294967295, EgressRate: 10_000_000, EgressBurst: 4294967295 } }
      for (const v of vs) {
        const m = measurePod(v, capArgs, 10_000_000)
        tcSeen.push(`${v.key} containerd 10M: ${m.tc}`)
        sentinelRows.push(`| ${v.label} | ${cell(m.into)} | ${cell(m.out)} | \`${m.tc}\` |`)
      }
    }
    const loadEnd = loadavg()
    const md = [
      '# bandwidth: goodput / configured rate',
      '',
      `\`bench/bandwidth.ts\`, ${new Date().toISOString().slice(0, 10)}: iperf3 TCP, ${SECONDS} s per run, median (min–max) of ${REPS} runs;`,
      `into the pod = iperf3 from the node netns, out of the pod = \`-R\`. Debian bridge + host-local, then the plugin, through libcni.`,
      `Both plugins get runtimeConfig.bandwidth with the rate and a burst of 10 ms of traffic (cni-chain's default).`,
      `Machine: kernel ${release()}, ${cpus().length} vCPUs shared with other work; load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} at the start,`,
      `${loadEnd.map((x) => x.toFixed(1)).join(' ')} at the end (${Math.round((Date.now() - started) / 1000)} s). The rate counts every byte of every frame (Ethernet`,
      'header included, as tc does), so bulk TCP with 1500-byte frames tops out at 1448/1514 = 0.956 of it.',
      '',
      '| Mbit/s | cni-chain into | cni-chain out | reference into | reference out |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      "containerd's input for `kubernetes.io/{ingress,egress}-bandwidth: 10M` (rate 10000000, burst 4294967295 bits):",
      '',
      '| plugin | into | out | host veth root qdisc |',
      '|---|---|---|---|',
      ...sentinelRows,
      '',
      'Root qdiscs as installed (host veth):',
      '',
      '```',
      ...tcSeen,
      '```',
      '',
    ].join('\n')
    writeResults(repo, 'bandwidth', md)
  } finally {
    for (const ns of [...liveNetns]) netnsDel(ns)
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  for (const ns of [...liveNetns]) netnsDel(ns)
  rmSync(dir, { recursive: true, force: true })
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
