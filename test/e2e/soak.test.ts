// Soak and concurrency under libcni: 8 parallel workers run CC_SOAK_CYCLES ADD/DEL cycles in all
// (default 1000) on one node namespace, each cycle a new container on the worker's own pod
// namespace, through the conflist bridge + host-local + tuning + portmap + bandwidth + firewall
// (all four meta plugins, a published port and shaping both ways on every pod; every 10th cycle
// also runs CHECK). 0 failures are allowed.
// Afterwards the node and the pods are exactly as before: the node's ruleset (iptables-nft rules
// included), links (so no ifb and no veth), qdiscs and filters, net.* sysctls, and the files under
// the libcni cache, the plugins' record and state dirs and host-local's dir (its
// last_reserved_ip.* and lock are host-local's own bookkeeping, left out). "Before" is read after
// one warm-up pod has come and gone: the nft tables, firewall's static iptables rules and the
// bridge rightly stay after the last pod.
// Bounded: every cnirun call has a 60 s timeout, and no new cycle starts after
// CC_SOAK_MAX_SECONDS (default 2400); cycles not run by then are a failure.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cnirun, createPod, createTopology, e2eSkip, repoRoot, type Netns } from './lib/harness.js'
import { metaCapArgs, metaDirs, withoutIpamBookkeeping, writeMetaNet } from './lib/meta-net.js'
import { diffState, hostState, settle } from './lib/node-state.js'

const WORKERS = 8

const intEnv = (name: string, dflt: number): number => {
  const v = process.env[name]
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt
}

if (e2eSkip) {
  t.plan(0, e2eSkip)
} else if (['tuning', 'portmap', 'bandwidth', 'firewall'].some((b) => !existsSync(join(repoRoot, 'bin', b)))) {
  t.plan(0, 'bin/ is missing: run npm run build first')
} else {
  // tap's per-file timeout (300 s) is too short for 1000 cycles: this file's own bound, plus set-up
  t.setTimeout((intEnv('CC_SOAK_MAX_SECONDS', 2400) + 300) * 1000)
  t.test('soak: 8 workers, ADD/DEL cycles under libcni with all four meta plugins, nothing left', async (t) => {
    const cycles = intEnv('CC_SOAK_CYCLES', 1000)
    const maxMs = intEnv('CC_SOAK_MAX_SECONDS', 2400) * 1000
    const topo = await createTopology(t)
    const dirs = metaDirs(topo)
    const list = await writeMetaNet(topo, dirs, { name: 'soak', subnet: '10.241.0.0/24', bridge: 'cc-soak0' })
    const capArgs = (w: number) => metaCapArgs(31000 + w)

    const warm = await createPod(t, topo, 'soakwarm')
    const wa = await cnirun(topo, 'add', list, warm, { containerId: 'soak-warm', capArgs: capArgs(WORKERS) })
    t.equal(wa.exitCode, 0, `warm-up ADD${wa.exitCode === 0 ? '' : `: ${wa.stdout}${wa.stderr}`}`)
    // the bridge gets its IPv6 link-local address (and routes) once a port is up: let that happen now
    await settle([topo.node, warm])
    const wd = await cnirun(topo, 'del', list, warm, { containerId: 'soak-warm', capArgs: capArgs(WORKERS) })
    t.equal(wd.exitCode, 0, `warm-up DEL${wd.exitCode === 0 ? '' : `: ${wd.stdout}${wd.stderr}`}`)

    const pods: Netns[] = []
    for (let w = 0; w < WORKERS; w++) pods.push(await createPod(t, topo, `soak${w}`))
    const read = async () => withoutIpamBookkeeping(await hostState([topo.node, ...pods], [dirs.root, topo.cacheDir, join(topo.dir, 'ipam')]))
    await settle([topo.node, ...pods])
    const before = await read()

    const started = Date.now()
    const failures: string[] = []
    let next = 0
    let done = 0
    let checks = 0
    const worker = async (w: number): Promise<void> => {
      const pod = pods[w] as Netns
      while (next < cycles && Date.now() - started < maxMs) {
        const i = next++
        const opts = { containerId: `soak-${i}`, capArgs: capArgs(w) }
        const add = await cnirun(topo, 'add', list, pod, opts)
        if (add.exitCode !== 0) failures.push(`cycle ${i} (worker ${w}) ADD exited ${add.exitCode}: ${add.stdout}${add.stderr}`)
        else if (i % 10 === 0) {
          checks++
          const check = await cnirun(topo, 'check', list, pod, opts)
          if (check.exitCode !== 0) failures.push(`cycle ${i} (worker ${w}) CHECK exited ${check.exitCode}: ${check.stdout}${check.stderr}`)
        }
        // DEL even after a failed ADD (what a runtime does); a failed DEL is retried once so the
        // next cycles start from a clean pod, and counts as a failure either way
        let del = await cnirun(topo, 'del', list, pod, opts)
        if (del.exitCode !== 0) {
          failures.push(`cycle ${i} (worker ${w}) DEL exited ${del.exitCode}: ${del.stdout}${del.stderr}`)
          del = await cnirun(topo, 'del', list, pod, opts)
        }
        done++
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)))
    const secs = (Date.now() - started) / 1000
    t.comment(`${done} cycles (${checks} with CHECK) by ${WORKERS} workers in ${secs.toFixed(0)} s (${(done / secs).toFixed(2)} cycles/s)`)
    t.equal(done, cycles, `all ${cycles} cycles ran within CC_SOAK_MAX_SECONDS`)
    for (const f of failures.slice(0, 20)) t.comment(f)
    t.equal(failures.length, 0, '0 failures')

    await settle([topo.node, ...pods])
    const diff = diffState(before, await read())
    for (const d of diff.slice(0, 60)) t.comment(d)
    t.same(diff, [], 'the node and the pods are exactly as before: ruleset, links and ifbs, qdiscs, sysctls, cache, records and state files')
  })
}
