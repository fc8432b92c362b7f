// Config parsing for tuning: case-insensitive keys (Go's encoding/json), schema check, then the
// reference's precedence rules resolved once, so later code never re-checks a default.
//   mac:    conf.mac < CNI_ARGS MAC < runtimeConfig.mac < args.cni.mac
//   others: args.cni.* overrides the top level; args.cni.sysctl is merged over sysctl.
import { loadCniArgs } from '../../src/cni/args.js'
import { CniError, ErrorCode, invalidConfig } from '../../src/cni/errors.js'
import { isObject, pickKeys } from '../../src/cni/keys.js'
import { LIMITS, checkCount } from '../../src/cni/limits.js'
import type { JsonObject } from '../../src/cni/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { validateTuningConfig } from '../../src/generated/validators.js'
import { findDuplicateKeys } from './duplicate-keys.js'
import { checkSysctlValue, sysctlPath, type SysctlSetting } from './sysctl-keys.js'
import { byKey } from '../../src/util/compare.js'
import { checkDataDir } from '../../src/cni/validate.js'

/** The default record directory (the reference's). */
export const DEFAULT_DATA_DIR = '/run/cni/tuning'

/** Link attributes ADD sets; absent = left alone. */
export interface LinkSettings {
  mac?: string
  /** only ever true: promisc false is a no-op on ADD, as in the reference */
  promisc?: true
  mtu?: number
  allmulti?: boolean
  txQLen?: number
}

/** TuningConfig is the fully resolved configuration of one call. */
export interface TuningConfig {
  network: string
  cniVersion: string
  containerId: string
  ifname: string
  netns: string
  dataDir: string
  /** sysctls to set, sorted by path (empty for DEL and GC, which work from the record) */
  sysctls: SysctlSetting[]
  link: LinkSettings
  /** the configured promisc (CHECK requires promisc off when false) */
  promisc: boolean
}

const LINK_KEYS = ['sysctl', 'mac', 'promisc', 'mtu', 'txQLen', 'allmulti'] as const

/**
 * parseTuningConfig validates and resolves req. With `sysctls: false` (DEL, GC) the sysctl map is
 * schema-checked only; otherwise keys are validated, duplicates refused and IFNAME substituted.
 * Throws a CniError (code 7, or 4 for CNI_ARGS) and reads nothing from the host.
 */
export const parseTuningConfig = (req: PluginRequest, opts: { sysctls: boolean }): TuningConfig => {
  const raw = normalize(req.conf)
  // sizes first (the schema below walks every entry)
  checkCount(raw.sysctl, LIMITS.SYSCTLS, 'sysctl')
  const args = raw.args
  if (isObject(args) && isObject(args.cni)) checkCount(args.cni.sysctl, LIMITS.SYSCTLS, 'args.cni.sysctl')
  if (!validateTuningConfig(raw)) {
    const details = (validateTuningConfig.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')
    throw invalidConfig(`tuning: ${details}`)
  }
  const top = raw as TuningRaw
  const cni = top.args?.cni ?? {}
  const { ifname } = req.env

  let mac = top.mac
  const cniArgs = loadCniArgs(req.env.args, ['MAC'])
  if (cniArgs.MAC) mac = cniArgs.MAC
  if (top.runtimeConfig?.mac) mac = top.runtimeConfig.mac
  if (cni.mac !== undefined) mac = cni.mac

  const promisc = cni.promisc ?? top.promisc ?? false
  const mtu = cni.mtu ?? top.mtu ?? 0
  const allmulti = cni.allmulti ?? top.allmulti
  const txQLen = cni.txQLen ?? top.txQLen
  if (mtu !== 0 && mtu < 68) throw invalidConfig(`mtu ${mtu} is below the minimum of 68`)

  const link: LinkSettings = {
    ...(mac ? { mac: normalizeMac(mac) } : {}),
    ...(promisc ? { promisc: true as const } : {}),
    ...(mtu !== 0 ? { mtu } : {}),
    ...(allmulti !== undefined ? { allmulti } : {}),
    ...(txQLen !== undefined ? { txQLen } : {}),
  }
  let sysctls: SysctlSetting[] = []
  if (opts.sysctls) {
    refuseDuplicates(req.stdin)
    sysctls = resolveSysctls(top.sysctl ?? {}, cni.sysctl ?? {}, ifname)
  }
  // below 1280 the kernel drops the interface's IPv6 state and its net/ipv6/conf/IF sysctls with
  // it: such a setting would "succeed" and be gone at once (CHECK could never pass)
  const lostV6 = mtu !== 0 && mtu < 1280 ? sysctls.find((s) => s.path.startsWith(`net/ipv6/conf/${ifname}/`)) : undefined
  if (lostV6) throw invalidConfig(`mtu ${mtu} is below IPv6's minimum of 1280, so ${lostV6.key} cannot be set: the kernel removes ${ifname}'s IPv6 settings`)
  return {
    network: req.conf.name,
    cniVersion: req.conf.cniVersion,
    containerId: req.env.containerId,
    ifname,
    netns: req.env.netns,
    dataDir: checkDataDir(top.dataDir || DEFAULT_DATA_DIR),
    sysctls,
    link,
    promisc,
  }
}

interface TuningFields {
  sysctl?: Record<string, string>
  mac?: string
  promisc?: boolean
  mtu?: number
  txQLen?: number
  allmulti?: boolean
}
interface TuningRaw extends TuningFields {
  dataDir?: string
  runtimeConfig?: { mac?: string }
  args?: { cni?: TuningFields }
}

/** normalize builds the object the schema checks: our keys only, canonical spelling. */
const normalize = (conf: JsonObject): JsonObject => {
  const top = pickKeys(conf, [...LINK_KEYS, 'dataDir', 'runtimeConfig', 'args'])
  if (isObject(top.runtimeConfig)) top.runtimeConfig = pickKeys(top.runtimeConfig, ['mac'])
  if (isObject(top.args)) {
    const args = pickKeys(top.args, ['cni'])
    if (isObject(args.cni)) args.cni = pickKeys(args.cni, LINK_KEYS)
    top.args = args
  }
  return top
}

/** resolveSysctls validates every key and value; args.cni entries replace top-level ones by path. */
const resolveSysctls = (top: Record<string, string>, override: Record<string, string>, ifname: string): SysctlSetting[] => {
  const resolveMap = (m: Record<string, string>): Map<string, SysctlSetting> => {
    const byPath = new Map<string, SysctlSetting>()
    for (const [key, value] of Object.entries(m)) {
      checkSysctlValue(key, value)
      const path = sysctlPath(key, ifname)
      const other = byPath.get(path)
      if (other) throw invalidConfig(`duplicated sysctl keys are not allowed: ${JSON.stringify(other.key)} and ${JSON.stringify(key)} are both ${path}`)
      byPath.set(path, { key, path, value })
    }
    return byPath
  }
  const merged = new Map([...resolveMap(top), ...resolveMap(override)])
  return [...merged.values()].sort(byKey((s) => s.path))
}

// The objects whose repeated keys matter: the two sysctl maps (keys compared exactly) and the
// struct levels leading to them (Go matches those keys case-insensitively).
const SYSCTL_PATHS = [['sysctl'], ['args', 'cni', 'sysctl']]
const STRUCT_KEYS = new Map([['', ['sysctl', 'args']], ['args', ['cni']], ['args\0cni', ['sysctl']]])

/** refuseDuplicates scans the raw stdin, which JSON.parse has already deduplicated. */
const refuseDuplicates = (stdin: string): void => {
  const paths = [...SYSCTL_PATHS, [], ['args'], ['args', 'cni']]
  const isStruct = (p: string[]): boolean => STRUCT_KEYS.has(p.map((s) => s.toLowerCase()).join('\0'))
  const dups = findDuplicateKeys(stdin, paths, isStruct).filter((d) => {
    const structKeys = STRUCT_KEYS.get(d.path.map((s) => s.toLowerCase()).join('\0'))
    return structKeys === undefined || structKeys.includes(d.key.toLowerCase())
  })
  const first = dups[0]
  if (first) {
    throw new CniError(ErrorCode.InvalidConfig, 'duplicated sysctl keys are not allowed',
      `${JSON.stringify(first.key)} appears more than once in ${first.path.length ? first.path.join('.') : 'the config'}`)
  }
}

/**
 * normalizeMac accepts a 48-bit unicast MAC (aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff, any
 * case) and returns it lowercase with colons, the form `ip -j link` prints and CHECK compares.
 */
export const normalizeMac = (mac: string): string => {
  let hex: string | undefined
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(mac)) hex = mac.replace(/[:-]/g, '')
  else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(mac)) hex = mac.replace(/\./g, '')
  if (hex === undefined) throw invalidConfig(`invalid MAC address ${JSON.stringify(mac)}`)
  hex = hex.toLowerCase()
  if (parseInt(hex.slice(0, 2), 16) & 1) throw invalidConfig(`MAC address ${JSON.stringify(mac)} is a multicast address`)
  if (/^0+$/.test(hex)) throw invalidConfig(`MAC address ${JSON.stringify(mac)} is all zeros`)
  return hex.match(/../g)!.join(':')
}
