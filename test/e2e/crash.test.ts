// Crashes: a runtime killed in the middle of ADD, and an ADD that fails at its last plugin, both
// followed by the runtime's DEL, leave nothing: the node and the pod exactly as before the ADD
// (ruleset, links and ifbs, qdiscs and filters, net.* sysctls, addresses and routes) and no file
// in the plugins' state dirs or the libcni cache. Through libcni (cnirun), with bridge + host-local
// and the four meta plugins as binaries, and inside the `chain` plugin.
//
// - SIGKILL: cnirun is started in its own process group and the whole group (cnirun, the plugin
//   running, and what that plugin runs: nft, tc, ip...) gets SIGKILL after a seeded random delay
//   between 0 and 1.1 times the ADD's measured duration. CC_CRASH_SEED replays a run (the seed is
//   printed); CC_CRASH_CASES sets how many (default 20, flat and chain alternating).
// - Failed ADD: a last plugin that fails ADD (fixtures/plugins/recorder with fail.ADD); libcni
//   stops there and runs no DEL itself. Inside the chain plugin, the chain must also roll its
//   sub-chain back before it answers (checked before the runtime's DEL).
// host-local's bookkeeping files are left out (meta-net.ts); a SIGKILLed Node plugin cannot remove
// its private nft batch dir from TMPDIR (pointed into the test dir here): counted, not a failure.
import { existsSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { execa } from 'execa'
import t, { type Test } from 'tap'
import { cnirun, createPod, createTopology, e2eSkip, ensureCnirun, repoRoot, sleep, type Netns, type Topology } from './lib/harness.js'
import { track, untrack } from './lib/leftovers.js'
import { metaCapArgs, metaDirs, withoutIpamBookkeeping, writeMetaNet, type MetaDirs } from './lib/meta-net.js'
import { diffState, hostState, settle } from './lib/node-state.js'
import { childEnv, inNetns } from './lib/proc.js'
import { rng } from '../lib/rng.js'

const PORT = 33001

interface Killed {
  /** the ADD finished before the kill came */
  finished: boolean
  exitCode?: number
  ms: number
}

/** addAndKill starts `cnirun add` in its own process group and kills the group after delayMs. */
const addAndKill = async (topo: Topology, list: string, pod: Netns, id: string, delayMs: number, tmp: string): Promise<Killed> => {
  const bin = await ensureCnirun()
  const [file, argv] = inNetns(topo.node, bin, ['add', list, pod.path, id, 'eth0'])
  const env = childEnv({ CNI_PATH: topo.cniPath, CNI_CACHE_DIR: topo.cacheDir, CAP_ARGS: JSON.stringify(metaCapArgs(PORT)), TMPDIR: tmp })
  const started = Date.now()
  const child = execa(file, argv, { reject: false, detached: true, env, extendEnv: false, stdin: 'ignore', timeout: 60_000 })
  const pid = child.pid
  if (pid === undefined) throw new Error('cnirun did not start')
  track.group(pid)
  let finished = false
  void child.then(() => {
    finished = true
  })
  await sleep(delayMs)
  const wasFinished = finished
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // the group is gone already
  }
  const r = await child
  untrack.group(pid)
  return { finished: wasFinished, ms: Date.now() - started, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}) }
}

const state = async (topo: Topology, pod: Netns, dirs: MetaDirs) => {
  await settle([topo.node, pod])
  return withoutIpamBookkeeping(await hostState([topo.node, pod], [dirs.root, topo.cacheDir, join(topo.dir, 'ipam')]))
}

/**
 * A plugin killed inside writeAtomic (src/host/files.ts), between creating `.NAME.tmp-<hex>` and
 * the rename, leaves that temp file; its name is fixed per target (stateTempName), so the DEL that
 * removes the target removes it too. Reported apart from other leftovers, so a regression names it.
 */
const isCrashLeftTemp = (line: string): boolean => /^files: \+ \S*\/\.[^/ ]+\.tmp-[0-9a-f]{16} /.test(line)

/** the diff lines of that bug: the temp files, and new directories that hold nothing else */
const crashLeftTemps = (diff: string[]): string[] => {
  const temps = diff.filter(isCrashLeftTemp)
  const dirs = diff.filter((l) => /^files: \+ \S+ "<dir>"$/.test(l)).filter((l) => {
    const dir = l.split(' ')[2] as string
    const inside = diff.filter((x) => x.startsWith(`files: + ${dir}/`))
    return inside.length > 0 && inside.every((x) => temps.includes(x))
  })
  return [...temps, ...dirs]
}

const leftoverBatchDirs = async (tmp: string): Promise<number> => (await readdir(tmp).catch(() => [] as string[])).filter((n) => n.startsWith('cni-chain-nft-')).length

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (['tuning', 'portmap', 'bandwidth', 'firewall', 'chain'].some((b) => !existsSync(join(repoRoot, 'bin', b)))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  t.test('SIGKILL of the runtime and its plugins during ADD, then DEL: nothing left', async (t) => {
    const seed = process.env.CC_CRASH_SEED && /^\d+$/.test(process.env.CC_CRASH_SEED) ? Number(process.env.CC_CRASH_SEED) : Math.floor(Math.random() * 2 ** 31)
    const count = process.env.CC_CRASH_CASES && /^\d+$/.test(process.env.CC_CRASH_CASES) ? Number(process.env.CC_CRASH_CASES) : 20
    t.comment(`crash seed ${seed}, ${count} cases (replay: CC_CRASH_SEED=${seed})`)
    const r = rng(seed)
    const topo = await createTopology(t)
    const dirs = metaDirs(topo)
    const tmp = join(topo.dir, 'tmp')
    await mkdir(tmp)
    const lists = {
      flat: await writeMetaNet(topo, dirs, { name: 'crash', subnet: '10.243.0.0/24', bridge: 'cc-crash0' }),
      chain: await writeMetaNet(topo, dirs, { name: 'crash', subnet: '10.243.0.0/24', bridge: 'cc-crash0', chain: true }, 'crash-chain.conflist'),
    }
    // warm-up (what stays after the last pod: the bridge, nft tables, static iptables rules), and
    // how long an ADD takes, for the kill delays
    const addMs = { flat: 0, chain: 0 }
    for (const kind of ['flat', 'chain'] as const) {
      const pod = await createPod(t, topo, 'crwarm')
      const start = Date.now()
      const add = await cnirun(topo, 'add', lists[kind], pod, { containerId: `warm-${kind}`, capArgs: metaCapArgs(PORT) })
      addMs[kind] = Date.now() - start
      t.equal(add.exitCode, 0, `warm-up ADD (${kind}, ${addMs[kind]} ms)${add.exitCode === 0 ? '' : `: ${add.stdout}${add.stderr}`}`)
      // the bridge gets its IPv6 link-local address once a port is up: let that happen before any "before"
      await settle([topo.node, pod])
      t.equal((await cnirun(topo, 'del', lists[kind], pod, { containerId: `warm-${kind}`, capArgs: metaCapArgs(PORT) })).exitCode, 0, 'warm-up DEL')
    }

    let interrupted = 0
    for (let i = 0; i < count; i++) {
      const kind = i % 2 === 0 ? 'flat' : 'chain'
      const delay = Math.floor(r.next() * addMs[kind] * 1.1)
      await t.test(`case ${i}: ${kind}, SIGKILL after ${delay} ms`, async (t: Test) => {
        const pod = await createPod(t, topo, 'crpod')
        const before = await state(topo, pod, dirs)
        const id = `crash-${i}`
        const k = await addAndKill(topo, lists[kind], pod, id, delay, tmp)
        if (!k.finished) interrupted++
        t.comment(k.finished ? `ADD had finished (exit ${k.exitCode})` : `ADD killed after ${k.ms} ms`)
        const del = await cnirun(topo, 'del', lists[kind], pod, { containerId: id, capArgs: metaCapArgs(PORT) })
        t.equal(del.exitCode, 0, `DEL${del.exitCode === 0 ? '' : `: ${del.stdout}${del.stderr}`}`)
        const all = diffState(before, await state(topo, pod, dirs))
        for (const d of all.slice(0, 40)) t.comment(d)
        const temps = crashLeftTemps(all)
        t.same(all.filter((l) => !temps.includes(l)), [], 'nothing left: the node, the pod, the state dirs and the cache as before the ADD')
        t.same(temps, [], 'no temp file of an interrupted atomic write left')
      })
    }
    t.comment(`${interrupted} of ${count} ADDs killed part-way; ${await leftoverBatchDirs(tmp)} nft batch dirs left in TMPDIR by killed plugins`)
    t.ok(interrupted >= Math.floor(count / 2), 'most ADDs were killed part-way')
  })

  t.test('an ADD whose last plugin fails, then the runtime\'s DEL: nothing left', async (t) => {
    const topo = await createTopology(t)
    const dirs = metaDirs(topo)
    const failing = { type: 'recorder', tag: 'last', fail: { ADD: 100 } }
    const withFixtures = { ...topo, cniPath: `${topo.cniPath}:${join(repoRoot, 'fixtures', 'plugins')}` }
    const ok = await writeMetaNet(topo, dirs, { name: 'failnet', subnet: '10.243.1.0/24', bridge: 'cc-fail0' })
    const lists = {
      flat: await writeMetaNet(topo, dirs, { name: 'failnet', subnet: '10.243.1.0/24', bridge: 'cc-fail0', tail: [failing] }, 'fail-flat.conflist'),
      chain: await writeMetaNet(topo, dirs, { name: 'failnet', subnet: '10.243.1.0/24', bridge: 'cc-fail0', chain: true, tail: [failing] }, 'fail-chain.conflist'),
    }
    const warm = await createPod(t, topo, 'fwarm')
    t.equal((await cnirun(topo, 'add', ok, warm, { containerId: 'warm', capArgs: metaCapArgs(PORT) })).exitCode, 0, 'warm-up ADD')
    await settle([topo.node, warm])
    t.equal((await cnirun(topo, 'del', ok, warm, { containerId: 'warm', capArgs: metaCapArgs(PORT) })).exitCode, 0, 'warm-up DEL')

    for (const kind of ['flat', 'chain'] as const) {
      await t.test(kind, async (t) => {
        const pod = await createPod(t, topo, 'fpod')
        const before = await state(topo, pod, dirs)
        const add = await cnirun(withFixtures, 'add', lists[kind], pod, { containerId: `fail-${kind}`, capArgs: metaCapArgs(PORT) })
        t.not(add.exitCode, 0, 'ADD fails')
        t.match(add.stdout + add.stderr, /recorder last failed/, 'with the last plugin\'s error')
        if (kind === 'chain') {
          // the chain plugin rolled its sub-chain back before answering: only the bridge's part is there
          const mid = await state(topo, pod, dirs)
          const ours = diffState(before, mid).filter((l) =>
            / ruleset: /.test(l) || (/ tc: /.test(l) && !/"kind":"noqueue"/.test(l)) || (/^files: \+ /.test(l) && !l.includes('/ipam/')) || /"kind":"ifb"/.test(l))
          t.same(ours, [], 'after the failed chain ADD: no nft object, qdisc, ifb or state file of the meta plugins')
        }
        const del = await cnirun(withFixtures, 'del', lists[kind], pod, { containerId: `fail-${kind}`, capArgs: metaCapArgs(PORT) })
        t.equal(del.exitCode, 0, `the runtime's DEL${del.exitCode === 0 ? '' : `: ${del.stdout}${del.stderr}`}`)
        const diff = diffState(before, await state(topo, pod, dirs))
        for (const d of diff.slice(0, 40)) t.comment(d)
        t.same(diff, [], 'nothing left')
      })
    }
  })
}
