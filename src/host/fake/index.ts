// The semantic fake Host: a whole machine in memory, as knftables' Fake is for nftables. nft
// batches apply atomically with the kernel's errors and `nft -j list` reads what they made; ip and
// tc change links, qdiscs and filters per namespace and print them as iproute2's JSON; sysctls,
// files, namespaces and conntrack (recorded only) complete the Host. Every effectful call is
// recorded in `calls` and can be made to fail (failAt, failWhen); snapshot() renders the state
// canonically, so a test can check that ADD then DEL, or a failed ADD, leaves the host as it was.
// test/e2e/fake-vs-real.test.ts runs the same operations here and on the real tools.
import { isIPv4, isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'
import { HostError, type Host, type NftHost } from '../types.js'
import { fakeCommandHost } from './command-host.js'
import { DEFAULT_INJECTED, EffectGate, keyFor } from './effects.js'
import { fakeFiles, type FakeFileHost } from './files.js'
import { ipJson, ipRun } from './ip.js'
import { createLink, createVethPair, findLink, newNamespace, type LinkSpec } from './links.js'
import { HOST_NS, type FakeCall, type FakeLink, type FakeRoute, type World } from './model.js'
import { applyNftBatch, NftBatchError } from './nft-state.js'
import { listNft } from './nft-list.js'
import { snapshotWorld } from './snapshot.js'
import { fakeSysctl } from './sysctl.js'
import { tcJson, tcRun } from './tc.js'

export { HOST_NS, keyFor }
export type { FakeCall, FakeLink, FakeRoute, LinkSpec, World }

/** A namespace argument: a netns path, or undefined / '' for the caller's own namespace. */
export type NsArg = string | undefined

export interface SemanticHost extends Host {
  files: FakeFileHost
  /** the state itself (for assertions the helpers below do not cover) */
  readonly world: World
  /** effectful calls in order, failed ones included */
  readonly calls: FakeCall[]
  /** reads in order, as "tool args[@netns]" (files: "files read PATH", "files list DIR"; "netns exists PATH") */
  readonly reads: string[]
  /** conntrack deletions received (they change nothing in the fake) */
  readonly conntrackDeletes: { family: string; protocol: string; port: number }[]

  addNamespace(path: string): void
  removeNamespace(path: string): void
  addLink(ns: NsArg, spec: LinkSpec & { up?: boolean }): FakeLink
  addVethPair(a: { ns: NsArg } & Omit<LinkSpec, 'kind'>, b: { ns: NsArg } & Omit<LinkSpec, 'kind'>): [FakeLink, FakeLink]
  /** link finds a link by name (look it up again after a failed command: state is restored by copy) */
  link(ns: NsArg, name: string): FakeLink | undefined
  removeLink(ns: NsArg, name: string): void
  /** setSysctls creates or sets keys (only keys that exist can be written through the Host) */
  setSysctls(ns: NsArg, values: Record<string, string>): void
  sysctlValue(ns: NsArg, key: string): string | undefined
  addRoute(ns: NsArg, route: FakeRoute): void
  /** addAddress puts ADDR/LEN on a link (no route is made: add one with addRoute) */
  addAddress(ns: NsArg, dev: string, cidr: string): void

  /** failWhen: matching effectful calls fail (`times` of them, default 1) with `stderr`, before taking effect */
  failWhen(when: (call: FakeCall, index: number) => boolean, opts?: { stderr?: string; times?: number }): void
  /** failAt: the effectful call with this index in `calls` fails */
  failAt(index: number, stderr?: string): void
  clearFailures(): void

  snapshot(): unknown
}

const key = (ns: NsArg): string => ns ?? HOST_NS

/** createSemanticHost: a fake machine with its own namespace (lo only), no files, an empty ruleset. */
export const createSemanticHost = (): SemanticHost => {
  const world: World = { namespaces: new Map(), files: new Map(), dirs: new Set(), macSeq: 0 }
  const gate = new EffectGate()
  const conntrackDeletes: SemanticHost['conntrackDeletes'] = []

  const addNamespace = (path: string): void => {
    if (world.namespaces.has(path)) throw new Error(`semantic fake: namespace ${JSON.stringify(path)} exists`)
    world.namespaces.set(path, newNamespace())
    createLink(world, path, { name: 'lo', kind: 'loopback' })
  }
  addNamespace(HOST_NS)

  const nsState = (ns: NsArg) => {
    const n = world.namespaces.get(key(ns))
    if (!n) throw new Error(`semantic fake: no namespace ${JSON.stringify(ns)}`)
    return n
  }

  const nft: NftHost = {
    apply: async (batch) => {
      if (batch.length === 0) return
      const injected = gate.enter({ tool: 'nft', args: structuredClone(batch) })
      const args = ['-j', '-f', '(batch file)']
      if (injected !== undefined) throw new HostError('nft', args, `${injected}\n`)
      try {
        applyNftBatch(nsState(HOST_NS).nft, batch)
      } catch (err) {
        if (err instanceof NftBatchError) throw new HostError('nft', args, err.stderr)
        throw err
      }
    },
    list: async (args) => {
      gate.reads.push(keyFor('nft', ['-j', 'list', ...args]))
      return structuredClone(listNft(nsState(HOST_NS).nft, args))
    },
  }

  const host: SemanticHost = {
    world,
    calls: gate.calls,
    reads: gate.reads,
    conntrackDeletes,
    nft,
    ip: fakeCommandHost('ip', world, gate, ipRun, ipJson),
    tc: fakeCommandHost('tc', world, gate, tcRun, tcJson),
    sysctl: fakeSysctl(world, gate),
    conntrack: {
      deleteByPort: async (family, protocol, port) => {
        const injected = gate.enter({ tool: 'conntrack', args: [family, protocol, port] })
        if (injected !== undefined) throw new HostError('conntrack', ['-D', '-f', family, '-p', protocol, '--orig-port-dst', String(port)], `${injected}\n`)
        conntrackDeletes.push({ family, protocol, port })
      },
    },
    netns: {
      exists: async (path) => {
        gate.reads.push(`netns exists ${path}`)
        return path !== HOST_NS && world.namespaces.has(path)
      },
    },
    files: fakeFiles(world, gate),

    addNamespace,
    removeNamespace: (path) => {
      if (path === HOST_NS) throw new Error('semantic fake: the own namespace cannot go')
      world.namespaces.delete(path)
    },
    addLink: (ns, spec) => createLink(world, key(ns), spec),
    addVethPair: (a, b) => createVethPair(world, { ...a, ns: key(a.ns) }, { ...b, ns: key(b.ns) }),
    link: (ns, name) => findLink(nsState(ns), name),
    removeLink: (ns, name) => {
      const n = nsState(ns)
      const l = findLink(n, name)
      if (l) ipRun(world, key(ns), ['link', 'del', 'dev', name])
    },
    setSysctls: (ns, values) => {
      const n = nsState(ns)
      for (const [k, v] of Object.entries(values)) n.sysctls.set(k, v)
    },
    sysctlValue: (ns, k) => nsState(ns).sysctls.get(k),
    addRoute: (ns, route) => void nsState(ns).routes.push({ ...route }),
    addAddress: (ns, dev, cidr) => {
      const l = findLink(nsState(ns), dev)
      const [local = '', len] = cidr.split('/')
      const family = isIPv4(local) ? 'inet' : isIPv6(local) ? 'inet6' : undefined
      if (!l || !family) throw new Error(`semantic fake: cannot add ${cidr} to ${dev}`)
      l.addrs.push({ family, local: family === 'inet6' ? new Address6(local).correctForm() : local, prefixlen: Number(len ?? (family === 'inet' ? 32 : 128)) })
    },

    failWhen: (when, opts = {}) => void gate.rules.push({ when, stderr: opts.stderr ?? DEFAULT_INJECTED, times: opts.times ?? 1 }),
    failAt: (index, stderr) => void gate.rules.push({ when: (_c, i) => i === index, stderr: stderr ?? DEFAULT_INJECTED, times: 1 }),
    clearFailures: () => void gate.rules.splice(0),

    snapshot: () => snapshotWorld(world),
  }
  return host
}
