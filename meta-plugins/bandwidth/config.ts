// Config parsing for bandwidth: case-insensitive keys (Go's encoding/json; containerd sends
// runtimeConfig.bandwidth as {"IngressRate":...}), schema check, then one source of rates:
//   1. the top-level ingressRate/ingressBurst/egressRate/egressBurst, when ANY of them is present
//      (even 0: the reference's embedded entry, which then hides runtimeConfig entirely);
//   2. else runtimeConfig.bandwidth (capability `bandwidth`), when it has any key;
//   3. else the pod annotations kubernetes.io/{ingress,egress}-bandwidth from runtimeConfig
//      `io.kubernetes.cri.pod-annotations` (no burst there: the default one).
// Runtimes' "no burst" values (containerd 4294967295 bits, CRI-O 34359738359 bits) mean "no
// burst given": the default burst (tbf.ts), not a 0.5 GB bucket that never empties.
// Validation is the reference's (rate and burst go together; burst/8 < 2^32), plus rate >= 8
// bits/s (tbf counts whole bytes per second), all before anything is read from the host.
import { invalidConfig } from '../../src/cni/errors.js'
import { isObject, pickKeys } from '../../src/cni/keys.js'
import type { JsonObject } from '../../src/cni/types.js'
import type { PluginRequest } from '../../src/skel/plugin.js'
import { validateBandwidthConfig } from '../../src/generated/validators.js'
import { POD_ANNOTATIONS_CAPABILITY, ratesFromAnnotations } from './annotations.js'
import { checkDataDir } from '../../src/cni/validate.js'

/** The default record directory (tmpfs: records live exactly as long as the links they describe). */
export const DEFAULT_DATA_DIR = '/run/cni/bandwidth'

/** containerd's "no burst" (math.MaxUint32 bits) and CRI-O's (math.MaxUint32*8-1 bits). */
export const NO_BURST_SENTINELS: readonly number[] = [4294967295, 34359738359]

/** One shaped direction: rate in bits/s, burst in bits (undefined: the default burst). */
export interface Shaping {
  rate: number
  burst: number | undefined
}

/** Where the rates came from (for messages). */
export type ShapingSource = 'config' | 'runtimeConfig.bandwidth' | 'pod annotations' | 'none'

/** BandwidthConfig is the fully resolved configuration of one call. */
export interface BandwidthConfig {
  network: string
  cniVersion: string
  containerId: string
  ifname: string
  netns: string
  dataDir: string
  source: ShapingSource
  /** into the pod: a tbf at the host veth's root */
  ingress?: Shaping
  /** out of the pod: host veth ingress → ifb → tbf */
  egress?: Shaping
}

const RATE_KEYS = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'] as const
type Entry = Partial<Record<(typeof RATE_KEYS)[number], number>>

/**
 * parseBandwidthConfig validates and resolves req. With `rates: false` (DEL, GC, which work
 * from the record) the rates are schema-checked only, so a bad value never blocks a cleanup.
 * Throws a CniError (code 7) and reads nothing from the host.
 */
export const parseBandwidthConfig = (req: PluginRequest, opts: { rates: boolean } = { rates: true }): BandwidthConfig => {
  const raw = normalize(req.conf)
  if (!validateBandwidthConfig(raw)) {
    const details = (validateBandwidthConfig.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')
    throw invalidConfig(`bandwidth: ${details}`)
  }
  const base: BandwidthConfig = {
    network: req.conf.name,
    cniVersion: req.conf.cniVersion,
    containerId: req.env.containerId,
    ifname: req.env.ifname,
    netns: req.env.netns,
    dataDir: checkDataDir(typeof raw.dataDir === 'string' ? raw.dataDir : DEFAULT_DATA_DIR),
    source: 'none',
  }
  if (!opts.rates) return base
  return { ...base, ...resolveRates(raw) }
}

/** resolveRates picks the source (see the file comment) and validates its entry. */
const resolveRates = (raw: JsonObject): Pick<BandwidthConfig, 'source' | 'ingress' | 'egress'> => {
  const top = entryOf(raw)
  if (top) return { source: 'config', ...directions(top) }
  const rc = isObject(raw.runtimeConfig) ? raw.runtimeConfig : {}
  const runtime = isObject(rc.bandwidth) ? entryOf(rc.bandwidth) : undefined
  if (runtime) return { source: 'runtimeConfig.bandwidth', ...directions(runtime) }
  const annotations = rc[POD_ANNOTATIONS_CAPABILITY]
  if (isObject(annotations)) {
    const rates = ratesFromAnnotations(annotations)
    if (rates.ingressRate !== undefined || rates.egressRate !== undefined) {
      return {
        source: 'pod annotations',
        ...(rates.ingressRate !== undefined ? { ingress: { rate: rates.ingressRate, burst: undefined } } : {}),
        ...(rates.egressRate !== undefined ? { egress: { rate: rates.egressRate, burst: undefined } } : {}),
      }
    }
  }
  return { source: 'none' }
}

/** entryOf returns the four keys of obj when any of them is present, else undefined. */
const entryOf = (obj: JsonObject): Entry | undefined => {
  const e: Entry = {}
  for (const k of RATE_KEYS) if (typeof obj[k] === 'number') e[k] = obj[k] as number
  return Object.keys(e).length > 0 ? e : undefined
}

const directions = (e: Entry): Pick<BandwidthConfig, 'ingress' | 'egress'> => {
  const ingress = direction('ingress', e.ingressRate ?? 0, e.ingressBurst ?? 0)
  const egress = direction('egress', e.egressRate ?? 0, e.egressBurst ?? 0)
  return { ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) }
}

/** direction validates one rate/burst pair as the reference does; undefined = not shaped. */
export const direction = (which: 'ingress' | 'egress', rate: number, burstIn: number): Shaping | undefined => {
  const noBurst = NO_BURST_SENTINELS.includes(burstIn)
  const burst = noBurst ? 0 : burstIn
  if (rate === 0 && burst === 0) return undefined
  if (rate === 0) throw invalidConfig('if burst is set, rate must also be set')
  if (burst === 0 && !noBurst) throw invalidConfig('if rate is set, burst must also be set')
  if (burst / 8 >= 0xffffffff) throw invalidConfig('burst cannot be more than 4GB')
  if (rate < 8) throw invalidConfig(`${which}Rate ${rate} bits/s is below 8 (tbf counts whole bytes per second)`)
  return { rate, burst: noBurst ? undefined : burst }
}

/** normalize builds the object the schema checks: our keys only, canonical spelling. */
const normalize = (conf: JsonObject): JsonObject => {
  const top = pickKeys(conf, [...RATE_KEYS, 'dataDir', 'runtimeConfig'])
  if (isObject(top.runtimeConfig)) {
    const rc = pickKeys(top.runtimeConfig, ['bandwidth', POD_ANNOTATIONS_CAPABILITY])
    if (isObject(rc.bandwidth)) rc.bandwidth = pickKeys(rc.bandwidth, RATE_KEYS)
    top.runtimeConfig = rc
  }
  return top
}
