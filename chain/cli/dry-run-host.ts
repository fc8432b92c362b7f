// The host of `--dry-run`: reads go to a real host (or the semantic fake), every write is recorded
// instead of applied. Plugins plan as usual on what they read; the plan is applied to this host,
// which changes nothing, so the CLI can print what would have happened.
import type { CommandHost, Host } from '../../src/host/types.js'

/** One write that was not made. */
export interface SkippedWrite {
  tool: string
  netns?: string
  args: unknown
}

const commands = (tool: 'ip' | 'tc', reads: CommandHost, writes: SkippedWrite[]): CommandHost => ({
  run: async (cmds, netns) => void writes.push({ tool, ...(netns ? { netns } : {}), args: cmds }),
  json: (args, netns) => reads.json(args, netns),
})

/** dryRunHost serves reads from `reads` and appends every write to `writes`. */
export const dryRunHost = (reads: Host, writes: SkippedWrite[]): Host => {
  const host: Host = {
    nft: { apply: async (batch) => void writes.push({ tool: 'nft', args: batch }), list: (args) => reads.nft.list(args) },
    ip: commands('ip', reads.ip, writes),
    tc: commands('tc', reads.tc, writes),
    sysctl: {
      read: (keys, netns) => reads.sysctl.read(keys, netns),
      write: async (entries, netns) => void writes.push({ tool: 'sysctl', ...(netns ? { netns } : {}), args: entries }),
    },
    conntrack: { deleteByPort: async (family, protocol, port) => void writes.push({ tool: 'conntrack', args: [family, protocol, port] }) },
    netns: { exists: (path) => reads.netns.exists(path) },
    files: {
      read: (path) => reads.files.read(path),
      list: (dir) => reads.files.list(dir),
      write: async (path, content, mode) => void writes.push({ tool: 'files', args: ['write', path, mode] }),
      remove: async (path) => void writes.push({ tool: 'files', args: ['remove', path] }),
      removeDir: async (path) => void writes.push({ tool: 'files', args: ['removeDir', path] }),
    },
  }
  if (reads.iptables) {
    const ipt = reads.iptables
    host.iptables = {
      available: (family) => ipt.available(family),
      rules: (family) => ipt.rules(family),
      run: async (family, args, unless) => void writes.push({ tool: `iptables${family === 6 ? '6' : ''}`, args: unless ? { args, unless } : args }),
    }
  }
  if (reads.firewalld) {
    const fw = reads.firewalld
    host.firewalld = {
      querySource: (zone, source) => fw.querySource(zone, source),
      addSource: async (zone, source) => void writes.push({ tool: 'firewalld', args: ['addSource', zone, source] }),
      removeSource: async (zone, source) => void writes.push({ tool: 'firewalld', args: ['removeSource', zone, source] }),
    }
  }
  return host
}
