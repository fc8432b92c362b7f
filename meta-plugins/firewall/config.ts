// parseFirewallConfig: stdin → a checked FirewallConfig, or a code 7 CniError before any effect.
// Keys are matched case-insensitively (Go's encoding/json); null means unset, as in Go.
import { isIPv4, isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'
import { invalidConfig } from '../../src/cni/errors.js'
import { isObject, normalizeKeys } from '../../src/cni/keys.js'
import { toCurrentResult } from '../../src/cni/result-convert.js'
import type { JsonObject, PluginConf, Result } from '../../src/cni/types.js'
import { interfaceNameProblem } from '../../src/cni/validate.js'
import { DEFAULT_MARK_BIT, IPT_CHAIN, type IngressPolicy } from './layout.js'

export type Backend = 'iptables' | 'firewalld' | 'nftables'

export interface FirewallConfig {
  network: string
  /** undefined: chosen on the node (see backend.ts) */
  backend?: Backend
  adminChain: string
  zone: string
  policy: IngressPolicy
  /** 1 << markBit */
  mark: number
  markBit: number
  stateDir: string
  prevResult?: Result
  /** every IPv4 / IPv6 address of prevResult (the reference's choice: all of them, any interface) */
  v4: string[]
  v6: string[]
  /** prevResult.interfaces[0].name (the bridge plugin lists the bridge first) */
  bridge?: string
}

export const DEFAULT_STATE_DIR = '/run/cni/firewall'
export const DEFAULT_ZONE = 'trusted'
export const DEFAULT_ADMIN_CHAIN = 'CNI-ADMIN'

const KEYS = ['backend', 'iptablesAdminChainName', 'firewalldZone', 'ingressPolicy', 'acceptMarkBit', 'stateDir', 'prevResult'] as const

// Names iptables reserves (targets and built-in chains), and ours: an admin chain must be its own.
const RESERVED_CHAINS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING', IPT_CHAIN])

const optString = (v: unknown, key: string): string | undefined => {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw invalidConfig(`${key} must be a string`)
  return v
}

const parseBackend = (v: unknown): Backend | undefined => {
  const s = optString(v, 'backend')
  if (s === undefined || s === '') return undefined
  if (s === 'iptables' || s === 'firewalld' || s === 'nftables') return s
  throw invalidConfig(`backend ${JSON.stringify(s)} is not one of "iptables", "firewalld", "nftables" (or empty to choose automatically)`)
}

const parsePolicy = (v: unknown): IngressPolicy => {
  const s = optString(v, 'ingressPolicy')
  if (s === undefined || s === '' || s === 'open') return 'open'
  if (s === 'same-bridge' || s === 'isolated') return s
  throw invalidConfig(`unknown ingress policy ${JSON.stringify(s)} (want "open", "same-bridge" or "isolated")`)
}

const parseAdminChain = (v: unknown): string => {
  const s = optString(v, 'iptablesAdminChainName') ?? ''
  if (s === '') return DEFAULT_ADMIN_CHAIN
  // iptables chain names: at most 28 characters; no blanks, no leading '-' or '!'
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,27}$/.test(s) || RESERVED_CHAINS.has(s)) {
    throw invalidConfig(`iptablesAdminChainName ${JSON.stringify(s)} is not a usable iptables chain name (1-28 of A-Z a-z 0-9 _ . + -, not a built-in chain or target)`)
  }
  return s
}

const parseZone = (v: unknown): string => {
  const s = optString(v, 'firewalldZone') ?? ''
  if (s === '') return DEFAULT_ZONE
  if (!/^[A-Za-z0-9_][A-Za-z0-9_+-]{0,16}$/.test(s)) throw invalidConfig(`firewalldZone ${JSON.stringify(s)} is not a firewalld zone name (1-17 of A-Z a-z 0-9 _ + -)`)
  return s
}

const parseMarkBit = (v: unknown): number => {
  if (v === undefined || v === null) return DEFAULT_MARK_BIT
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 31) throw invalidConfig('acceptMarkBit must be an integer 0-31')
  return v
}

const parseStateDir = (v: unknown): string => {
  const s = optString(v, 'stateDir')
  if (s === undefined) return DEFAULT_STATE_DIR
  if (!/^\/[A-Za-z0-9_./-]*$/.test(s) || s.split('/').includes('..')) throw invalidConfig('stateDir must be an absolute path of A-Z a-z 0-9 _ . / - without ".."')
  return s.replace(/\/+$/, '') || '/'
}

/** podAddresses: every address of the result, split by family, normalized and deduplicated. */
export const podAddresses = (result: Result | undefined): { v4: string[]; v6: string[] } => {
  const v4 = new Set<string>()
  const v6 = new Set<string>()
  for (const ip of result?.ips ?? []) {
    const addr = String(ip.address ?? '').split('/')[0] ?? ''
    if (isIPv4(addr)) v4.add(addr)
    else if (isIPv6(addr) && !addr.includes('%')) v6.add(new Address6(addr).correctForm())
  }
  return { v4: [...v4], v6: [...v6] }
}

/** parseFirewallConfig validates the whole config; it never touches the host. */
export const parseFirewallConfig = (conf: PluginConf): FirewallConfig => {
  const top = normalizeKeys(conf, KEYS) as JsonObject
  const markBit = parseMarkBit(top.acceptMarkBit)
  const backend = parseBackend(top.backend)
  const cfg: FirewallConfig = {
    network: conf.name,
    ...(backend ? { backend } : {}),
    adminChain: parseAdminChain(top.iptablesAdminChainName),
    zone: parseZone(top.firewalldZone),
    policy: parsePolicy(top.ingressPolicy),
    markBit,
    mark: 2 ** markBit,
    stateDir: parseStateDir(top.stateDir),
    v4: [],
    v6: [],
  }
  if (isObject(top.prevResult)) {
    try {
      cfg.prevResult = toCurrentResult(top.prevResult, conf.cniVersion)
    } catch (err) {
      throw invalidConfig(`could not parse prevResult: ${err instanceof Error ? err.message : String(err)}`)
    }
    Object.assign(cfg, podAddresses(cfg.prevResult))
    const first = cfg.prevResult.interfaces?.[0]?.name
    if (first !== undefined) {
      const problem = interfaceNameProblem(first)
      if (problem) throw invalidConfig(`prevResult.interfaces[0]: ${problem}`)
      if (/["\\]/.test(first)) throw invalidConfig(`prevResult.interfaces[0]: bridge name ${JSON.stringify(first)} has a quote or backslash`)
      cfg.bridge = first
    }
  }
  return cfg
}

/** hasAddresses tells whether the pod has anything to firewall. */
export const hasAddresses = (cfg: Pick<FirewallConfig, 'v4' | 'v6'>): boolean => cfg.v4.length + cfg.v6.length > 0
