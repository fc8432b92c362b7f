// The real Host: each effect kind on its tool. Names and values are validated by the plugins that
// plan them; this layer adds only the checks that protect the tools themselves.
import { constants, rmSync } from 'node:fs'
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { runTool } from './exec.js'
import type { CommandHost, ConntrackHost, FileHost, Host, NetnsHost, NftHost, SysctlHost } from './types.js'
import { HostError } from './types.js'
import type { NftCommand, NftObject } from '../nft/types.js'

// nft 1.0.6 opens `-f -` as the path /dev/stdin, which fails on Node's socket stdin: the batch goes
// through a 0600 file in a private directory instead (one per process, removed on exit).
let batchDir: string | undefined
const privateBatchFile = async (): Promise<string> => {
  if (!batchDir) {
    batchDir = await mkdtemp(join(tmpdir(), 'cni-chain-nft-'))
    const dir = batchDir
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true })
    })
  }
  return join(batchDir, `batch-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
}

const realNft: NftHost = {
  apply: async (batch: NftCommand[]) => {
    if (batch.length === 0) return
    const file = await privateBatchFile()
    await writeFile(file, JSON.stringify({ nftables: batch }), { mode: 0o600 })
    try {
      await runTool('nft', ['-j', '-f', file])
    } finally {
      await rm(file, { force: true })
    }
  },
  list: async (args: string[]) => {
    try {
      const { stdout } = await runTool('nft', ['-j', 'list', ...args])
      const parsed = JSON.parse(stdout) as { nftables: NftObject[] }
      return parsed.nftables.filter((o) => !('metainfo' in o))
    } catch (err) {
      if (err instanceof HostError && err.reason === 'not-found') return undefined
      throw err
    }
  },
}

/** commandHost runs a tool that reads `-batch -` from stdin (ip, tc) and prints JSON with -j. */
const commandHost = (tool: 'ip' | 'tc'): CommandHost => ({
  run: async (commands, netns, opts) => {
    if (commands.length === 0) return
    if (commands.length === 1) {
      await runTool(tool, commands[0] as string[], { netns })
      return
    }
    // batch lines are split on whitespace by the tool; plugins validate every value first
    for (const c of commands) {
      if (c.some((a) => a === '' || /[\s"'\\#]/.test(a))) throw new Error(`${tool}: argument not batch-safe in ${JSON.stringify(c)}`)
    }
    const force = opts?.continueOnError ? ['-force'] : []
    await runTool(tool, [...force, '-batch', '-'], { netns, input: commands.map((c) => c.join(' ')).join('\n') + '\n' })
  },
  json: async <T>(args: string[], netns?: string) => {
    const { stdout } = await runTool(tool, ['-j', ...args], { netns })
    return JSON.parse(stdout === '' ? '[]' : stdout) as T
  },
})

const SYSCTL_KEY = /^net\/[A-Za-z0-9_.\-/]+$/
const assertSysctlKey = (key: string): void => {
  if (!SYSCTL_KEY.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`refusing sysctl key ${JSON.stringify(key)}`)
  }
}

const realSysctl: SysctlHost = {
  read: async (keys, netns) => {
    keys.forEach(assertSysctlKey)
    if (keys.length === 0) return []
    const paths = keys.map((k) => `/proc/sys/${k}`)
    // our own namespace: read the files directly, no process to start
    if (!netns) return Promise.all(paths.map(async (p) => (await realFiles.read(p))?.replace(/\n$/, '')))
    // grep -H prints "path:value" for each readable file; missing files are skipped (exit 2)
    const { stdout } = await runTool('grep', ['-H', '-s', '', ...paths], { netns, okExitCodes: [1, 2] })
    const values = new Map<string, string>()
    for (const line of stdout.split('\n')) {
      const path = paths.find((p) => line.startsWith(`${p}:`))
      if (path !== undefined) values.set(path, line.slice(path.length + 1))
    }
    return paths.map((p) => values.get(p))
  },
  write: async (entries, netns) => {
    if (entries.length === 0) return
    for (const [k, v] of entries) {
      assertSysctlKey(k)
      if (/[\n\0]/.test(v)) throw new Error(`refusing sysctl value ${JSON.stringify(v)}`)
    }
    if (!netns) {
      // our own namespace: write the files directly, in order, like `sysctl -w` (all attempted)
      const failures: string[] = []
      for (const [k, v] of entries) {
        try {
          await writeFile(`/proc/sys/${k}`, v)
        } catch (err) {
          failures.push(`${k}: ${(err as Error).message}`)
        }
      }
      if (failures.length > 0) throw new HostError('sysctl', entries.map(([k, v]) => `${k}=${v}`), failures.join('; '))
      return
    }
    await runTool('sysctl', ['-q', '-w', ...entries.map(([k, v]) => `${k}=${v}`)], { netns })
  },
}

const realConntrack: ConntrackHost = {
  deleteByPort: async (family, protocol, port) => {
    // exit 1 = "0 flow entries have been deleted", not an error
    await runTool('conntrack', ['-D', '-f', family, '-p', protocol, '--orig-port-dst', String(port)], { okExitCodes: [1] })
  },
}

const realNetns: NetnsHost = {
  exists: async (path) => {
    try {
      await access(path, constants.R_OK)
      return true
    } catch {
      return false
    }
  },
}

const realFiles: FileHost = {
  read: async (path) => {
    try {
      return await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  },
  write: async (path, content, mode) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    const tmp = `${path}.tmp-${process.pid}`
    await writeFile(tmp, content, { mode })
    await rename(tmp, path)
  },
  remove: async (path) => rm(path, { force: true }),
  list: async (dir) => {
    try {
      return (await readdir(dir)).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  },
}

/** createRealHost returns the Host that changes this machine. */
export const createRealHost = (): Host => ({
  nft: realNft,
  ip: commandHost('ip'),
  tc: commandHost('tc'),
  sysctl: realSysctl,
  conntrack: realConntrack,
  netns: realNetns,
  files: realFiles,
})
