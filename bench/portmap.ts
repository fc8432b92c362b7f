// Benchmark (not a test): ADD and DEL latency of bin/portmap run as a process (as a runtime runs
// it), at 1 and at N live pods, against the reference Go portmap (/usr/lib/cni/portmap, iptables
// backend) in the same run. Everything happens in a private "node" netns, deleted at the end.
//
//   npm run build && npx esbuild bench/portmap.ts --bundle --platform=node --format=esm --outfile=/tmp/pmbench.mjs \
//     && env -u NODE_EXTRA_CA_CERTS node /tmp/pmbench.mjs [N] [ITER]      (from the repository root, as root)
//
// Our N attachments are created with one nft batch of the same per-pod commands ADD writes (fast);
// the reference's with its own ADD, one pod at a time (it has no batch path).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { podChainName } from '../meta-plugins/portmap/layout.js'
import { podAddCommands, podRules, skeletonCommands } from '../meta-plugins/portmap/rules.js'
import type { PortmapConfig } from '../meta-plugins/portmap/config.js'
import { stats, writeResults } from './lib.js'

const N = Number(process.argv[2] ?? 500)
const ITER = Number(process.argv[3] ?? 15)
const ns = `pmbench-${randomBytes(3).toString('hex')}`
const nsPath = `/run/netns/${ns}`
const dir = mkdtempSync(join(tmpdir(), 'pmbench-'))
const repo = process.cwd() // run from the repository root
const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' }
delete (env as Record<string, string | undefined>).NODE_EXTRA_CA_CERTS

const sh = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
const inNs = (cmd: string, args: string[], input?: string): string => sh('nsenter', [`--net=${nsPath}`, '--', cmd, ...args], input)

const podIp = (i: number): string => `10.99.${1 + (i >> 8)}.${(i & 255) || 1}`
const conf = (i: number, hostPort: number) => ({
  cniVersion: '1.0.0', name: 'bench', type: 'portmap', stateDir: join(dir, 'state'),
  runtimeConfig: { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] },
  prevResult: { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/x' }], ips: [{ address: `${podIp(i)}/16`, interface: 0 }] },
})

/** One plugin call as a runtime makes it; returns wall ms. */
const call = (binary: string, command: 'ADD' | 'DEL', cid: string, stdin: object): number => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('nsenter', [`--net=${nsPath}`, '--', binary], {
    input: JSON.stringify(stdin), encoding: 'utf8',
    env: { ...env, CNI_COMMAND: command, CNI_CONTAINERID: cid, CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${binary} ${command} ${cid}: ${r.stdout}${r.stderr}`)
  return ms
}

/** measure: ITER × (ADD then DEL) of one extra pod; first round discarded (warm-up). */
const measure = (binary: string) => {
  const add: number[] = []
  const del: number[] = []
  for (let k = 0; k <= ITER; k++) {
    const c = conf(N + 1, 30000)
    const a = call(binary, 'ADD', 'measured', c)
    const d = call(binary, 'DEL', 'measured', c)
    if (k > 0) { add.push(a); del.push(d) }
  }
  return { add: stats(add), del: stats(del) }
}

/** populateOurs: N attachments' chains + elements in one transaction (what N ADDs leave behind). */
const populateOurs = (): void => {
  const batch = []
  for (let i = 0; i < N; i++) {
    const cfg: PortmapConfig = {
      network: 'bench', excludeDestinations: [], snat: true, masqAll: false, markBit: 13, mark: 0x2000, conditionsV4: [], conditionsV6: [],
      stateDir: join(dir, 'state'), mappings: [{ protocol: 'tcp', hostPort: 20000 + i, containerPort: 80 }],
      podV4: { addr: podIp(i), prefixLen: 16 },
    }
    const owner = { network: 'bench', containerId: `pod${i}`, ifname: 'eth0' }
    if (i === 0) batch.push(...skeletonCommands(cfg, true))
    batch.push(...podAddCommands(podChainName('bench', owner.containerId, 'eth0'), podRules(cfg, owner), cfg.mappings))
  }
  const file = join(dir, 'populate.json')
  writeFileSync(file, JSON.stringify({ nftables: batch }), { mode: 0o600 })
  inNs('nft', ['-j', '-f', file])
}

const populateReference = (): void => {
  for (let i = 0; i < N; i++) call('/usr/lib/cni/portmap', 'ADD', `pod${i}`, conf(i, 20000 + i))
}

const main = async (): Promise<void> => {
  sh('ip', ['netns', 'add', ns])
  try {
    mkdirSync(join(dir, 'state'), { recursive: true })
    inNs('ip', ['link', 'set', 'lo', 'up'])
    inNs('ip', ['link', 'add', 'pmb0', 'type', 'veth', 'peer', 'name', 'pmb1'])
    inNs('ip', ['addr', 'add', '10.99.0.1/16', 'dev', 'pmb0'])
    inNs('ip', ['link', 'set', 'pmb0', 'up'])
    inNs('ip', ['link', 'set', 'pmb1', 'up'])
    const ours = join(repo, 'bin', 'portmap')
    const ref = '/usr/lib/cni/portmap'
    const rows: string[] = []
    const results: Record<string, ReturnType<typeof measure>> = {}

    results['cni-chain @1'] = measure(ours)
    populateOurs()
    results[`cni-chain @${N + 1}`] = measure(ours)
    inNs('nft', ['delete', 'table', 'inet', 'cni_portmap_v2'])

    results['reference @1'] = measure(ref)
    const t0 = Date.now()
    populateReference()
    const refPopulateS = (Date.now() - t0) / 1000
    results[`reference @${N + 1}`] = measure(ref)

    for (const [name, r] of Object.entries(results)) {
      rows.push(`| ${name} | ${r.add.p50.toFixed(1)} | ${r.add.p90.toFixed(1)} | ${r.del.p50.toFixed(1)} | ${r.del.p90.toFixed(1)} |`)
    }
    const ratio = (a: string, b: string, k: 'add' | 'del') => ((results[b]?.[k].p50 ?? 0) / (results[a]?.[k].p50 ?? 1)).toFixed(2)
    const md = [
      '# portmap benchmark',
      '',
      `Run: ${new Date().toISOString()}, ${ITER} measured ADD+DEL rounds per row (after one warm-up round), one tcp host port per pod.`,
      'Each call is the plugin binary started as a process inside the node netns (`nsenter --net=… BINARY`), as a runtime does;',
      'times are wall-clock milliseconds including process start-up. NODE_EXTRA_CA_CERTS unset.',
      `"@${N + 1}" = ${N} other live attachments + the measured one. cni-chain's ${N} were created with one nft batch of the`,
      `per-pod commands ADD writes; the reference's with ${N} real ADDs (took ${refPopulateS.toFixed(1)} s).`,
      '',
      '| plugin @ live pods | ADD p50 | ADD p90 | DEL p50 | DEL p90 |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `Ratio ${N + 1}/1 (p50): cni-chain ADD ${ratio('cni-chain @1', `cni-chain @${N + 1}`, 'add')}×, DEL ${ratio('cni-chain @1', `cni-chain @${N + 1}`, 'del')}×; ` +
        `reference ADD ${ratio('reference @1', `reference @${N + 1}`, 'add')}×, DEL ${ratio('reference @1', `reference @${N + 1}`, 'del')}×.`,
      '',
    ].join('\n')
    writeResults(repo, 'portmap', md)
  } finally {
    spawnSync('ip', ['netns', 'del', ns])
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
