// The Host seam: every effect cni-chain has on a machine goes through one of these modules.
// Plugins read through it while observing and write through it only in apply (src/plan/apply.ts).
// src/host/real.ts runs the real tools (execa, argument arrays, never a shell); src/host/fake/ is
// the semantic fake for tests (src/host/fake.ts, the older recorder with canned reads).
import type { NftCommand, NftObject } from '../nft/types.js'

/** netns is the path of a network namespace (CNI_NETNS); absent means the caller's own. */
export type NetnsPath = string | undefined

export interface NftReader {
  /**
   * list runs `nft -j list ARGS...` (e.g. ['chain','inet','t','c']) and returns the objects
   * without the metainfo entry, or undefined when the table/chain/map does not exist.
   */
  list(args: string[]): Promise<NftObject[] | undefined>
}

export interface NftHost extends NftReader {
  /** apply runs the batch as ONE transaction (`nft -j -f FILE`); all of it applies or none. */
  apply(batch: NftCommand[]): Promise<void>
}

export interface RunCommandOptions {
  /** run all commands even after one fails (`-force`); the call still throws at the end */
  continueOnError?: boolean
}

export interface CommandReader {
  /** json runs `TOOL -j ARGS` in netns and returns the parsed JSON output. */
  json<T = unknown>(args: string[], netns?: NetnsPath): Promise<T>
}

export interface CommandHost extends CommandReader {
  /**
   * run executes each command (the arguments after the tool's name) in order, in netns. It stops
   * at the first failure (a batch's HostError says `Command failed -:N`, N counted from 1) unless
   * opts.continueOnError, which runs every command and then throws if any failed.
   */
  run(commands: string[][], netns?: NetnsPath, opts?: RunCommandOptions): Promise<void>
}

export interface SysctlReader {
  /**
   * read returns the values of sysctl keys (slash form relative to /proc/sys, e.g.
   * "net/ipv4/conf/eth0/arp_filter") in netns; undefined where the key does not exist.
   */
  read(keys: string[], netns?: NetnsPath): Promise<(string | undefined)[]>
}

export interface SysctlHost extends SysctlReader {
  /** write sets the keys in order in netns. */
  write(entries: [key: string, value: string][], netns?: NetnsPath): Promise<void>
}

export interface ConntrackHost {
  /** deleteByPort removes conntrack entries whose original destination port is `port`. */
  deleteByPort(family: 'ipv4' | 'ipv6', protocol: 'udp' | 'tcp' | 'sctp', port: number): Promise<void>
}

export interface NetnsHost {
  /** exists tells whether path names a network namespace that can be entered. */
  exists(path: string): Promise<boolean>
}

export interface FileReader {
  /** read returns the file's text, undefined when it does not exist. */
  read(path: string): Promise<string | undefined>
  /** list returns the entry names of a directory, [] when it does not exist. */
  list(dir: string): Promise<string[]>
}

export interface FileHost extends FileReader {
  /** write replaces the file atomically (temp file + rename), creating parent dirs (0700). */
  write(path: string, content: string, mode: number): Promise<void>
  /** remove deletes the file; a missing file is not an error. */
  remove(path: string): Promise<void>
  /** removeDir deletes an empty directory; a missing or non-empty one is not an error (the kernel counts). */
  removeDir(path: string): Promise<void>
}

/** iptables (family 4) and ip6tables (6), filter table, always with -w (wait for the xtables lock). */
export interface IptablesReader {
  /** available tells whether the tool of the family can be run here */
  available(family: 4 | 6): Promise<boolean>
  /** rules returns `-S` of the filter table: one line per policy, chain (-N) and rule (-A) */
  rules(family: 4 | 6): Promise<string[]>
}

export interface IptablesHost extends IptablesReader {
  /** run runs `-w ARGS`; with `unless`, it first runs `-w -C UNLESS` and does nothing more when that rule exists */
  run(family: 4 | 6, args: string[], unless?: string[]): Promise<void>
}

/** firewalld's runtime zone sources (not --permanent, as the reference plugin). */
export interface FirewalldReader {
  /** querySource tells whether source is bound to zone */
  querySource(zone: string, source: string): Promise<boolean>
}

export interface FirewalldHost extends FirewalldReader {
  addSource(zone: string, source: string): Promise<void>
  removeSource(zone: string, source: string): Promise<void>
}

/**
 * ReadHost is the part of the Host a plan, a check, a recover or a status may use: reads only.
 * MetaPlugin hands it to them, so a write there is a type error, not a silent effect (a Host is
 * a ReadHost; fixtures and --dry-run also pass a view that throws on writes at run time).
 */
export interface ReadHost {
  nft: NftReader
  ip: CommandReader
  tc: CommandReader
  sysctl: SysctlReader
  netns: NetnsHost
  files: FileReader
  iptables?: IptablesReader
  firewalld?: FirewalldReader
}

/** Host bundles one implementation of every effect kind. */
export interface Host extends ReadHost {
  nft: NftHost
  ip: CommandHost
  tc: CommandHost
  sysctl: SysctlHost
  conntrack: ConntrackHost
  netns: NetnsHost
  files: FileHost
  /** optional: only the firewall plugin needs it (a host without it cannot run iptables steps) */
  iptables?: IptablesHost
  /** optional: only the firewall plugin's firewalld backend needs it */
  firewalld?: FirewalldHost
}

/**
 * HostError is what a failed host command throws: the tool, its arguments and what it printed.
 * `reason` classifies the common kernel answers so callers never parse stderr themselves.
 */
export class HostError extends Error {
  readonly tool: string
  readonly args: readonly string[]
  readonly stderr: string
  readonly reason: 'not-found' | 'exists' | 'busy' | 'other'

  constructor(tool: string, args: readonly string[], stderr: string) {
    super(`${tool} ${args.join(' ')}: ${stderr.trim() || 'failed'}`)
    this.name = 'HostError'
    this.tool = tool
    this.args = args
    this.stderr = stderr
    this.reason = classify(stderr)
  }
}

const classify = (stderr: string): HostError['reason'] => {
  if (/No such file or directory|Cannot find device|does not exist|not found/i.test(stderr)) return 'not-found'
  if (/File exists/i.test(stderr)) return 'exists'
  if (/Device or resource busy/i.test(stderr)) return 'busy'
  return 'other'
}

/** isNotFound tells whether err is a HostError for a missing object (ENOENT, no device). */
export const isNotFound = (err: unknown): boolean => err instanceof HostError && err.reason === 'not-found'
