// FakeHost: a Host for unit tests. It records every call in `calls`, keeps sysctls and files as
// state, answers JSON reads from `responses` (keyed by "tool args..."), and can be told to fail a
// call. nft batches are recorded whole; tests compare them as data.
import type { Host, RunCommandOptions } from './types.js'
import { HostError } from './types.js'
import type { NftCommand, NftObject } from '../nft/types.js'

export interface FakeCall {
  tool: 'nft' | 'ip' | 'tc' | 'sysctl' | 'conntrack' | 'files'
  netns?: string
  args: unknown
}

export interface FakeHost extends Host {
  calls: FakeCall[]
  /** sysctl values per namespace: key "netns|net/ipv4/..." ("" for the host's own) */
  sysctls: Map<string, string>
  files: Host['files'] & { contents: Map<string, { content: string; mode: number }> }
  /** namespaces that exist */
  namespaces: Set<string>
  /** canned JSON answers: key "ip -d link show dev eth0@NETNS" style, see keyFor() */
  responses: Map<string, unknown>
  /** the next call whose key starts with a prefix throws HostError(stderr) */
  failures: Map<string, string>
}

/** keyFor builds the lookup key of a canned response or failure: "tool arg arg[@netns]". */
export const keyFor = (tool: string, args: readonly string[], netns?: string): string =>
  `${tool} ${args.join(' ')}${netns ? `@${netns}` : ''}`

/** createFakeHost returns an empty FakeHost. */
export const createFakeHost = (): FakeHost => {
  const calls: FakeCall[] = []
  const sysctls = new Map<string, string>()
  const contents = new Map<string, { content: string; mode: number }>()
  const namespaces = new Set<string>()
  const responses = new Map<string, unknown>()
  const failures = new Map<string, string>()

  const maybeFail = (tool: string, args: readonly string[], netns?: string): void => {
    const key = keyFor(tool, args, netns)
    for (const [prefix, stderr] of failures) {
      if (key.startsWith(prefix)) {
        failures.delete(prefix)
        throw new HostError(tool, args, stderr)
      }
    }
  }
  const command = (tool: 'ip' | 'tc') => ({
    // like the real tools' -batch: stop at the first failure and name its line, or with
    // continueOnError (-force) run everything and fail at the end
    run: async (commands: string[][], netns?: string, opts?: RunCommandOptions) => {
      let firstError: HostError | undefined
      for (const [i, c] of commands.entries()) {
        calls.push({ tool, ...(netns ? { netns } : {}), args: c })
        try {
          maybeFail(tool, c, netns)
        } catch (err) {
          const e = err as HostError
          const failed = commands.length > 1 ? new HostError(tool, e.args, `${e.stderr}\nCommand failed -:${i + 1}`) : e
          if (!opts?.continueOnError) throw failed
          firstError ??= failed
        }
      }
      if (firstError) throw firstError
    },
    json: async <T>(args: string[], netns?: string): Promise<T> => {
      maybeFail(tool, ['-j', ...args], netns)
      const key = keyFor(tool, ['-j', ...args], netns)
      if (!responses.has(key)) throw new HostError(tool, args, `fake: no canned response for ${JSON.stringify(key)}: Cannot find device`)
      return responses.get(key) as T
    },
  })

  const host: FakeHost = {
    calls,
    sysctls,
    namespaces,
    responses,
    failures,
    nft: {
      apply: async (batch: NftCommand[]) => {
        calls.push({ tool: 'nft', args: batch })
        maybeFail('nft', ['-j', '-f'])
      },
      list: async (args: string[]) => {
        maybeFail('nft', ['-j', 'list', ...args])
        const key = keyFor('nft', ['-j', 'list', ...args])
        return responses.has(key) ? (responses.get(key) as NftObject[]) : undefined
      },
    },
    ip: command('ip'),
    tc: command('tc'),
    sysctl: {
      read: async (keys, netns) => keys.map((k) => sysctls.get(`${netns ?? ''}|${k}`)),
      // like `sysctl -w a=1 b=2`: a failing key does not stop the others; the call fails at the end
      write: async (entries, netns) => {
        let firstError: unknown
        for (const [k, v] of entries) {
          calls.push({ tool: 'sysctl', ...(netns ? { netns } : {}), args: [k, v] })
          try {
            maybeFail('sysctl', [k], netns)
            sysctls.set(`${netns ?? ''}|${k}`, v)
          } catch (err) {
            firstError ??= err
          }
        }
        if (firstError) throw firstError
      },
    },
    conntrack: {
      deleteByPort: async (family, protocol, port) => {
        calls.push({ tool: 'conntrack', args: [family, protocol, port] })
      },
    },
    netns: { exists: async (path) => namespaces.has(path) },
    files: {
      contents,
      read: async (path) => contents.get(path)?.content,
      write: async (path, content, mode) => {
        calls.push({ tool: 'files', args: ['write', path] })
        contents.set(path, { content, mode })
      },
      remove: async (path) => {
        calls.push({ tool: 'files', args: ['remove', path] })
        contents.delete(path)
      },
      removeDir: async (path) => {
        calls.push({ tool: 'files', args: ['removeDir', path] })
      },
      list: async (dir) =>
        [...contents.keys()].filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'))
          .map((p) => p.slice(dir.length + 1)).sort(),
    },
  }
  return host
}
