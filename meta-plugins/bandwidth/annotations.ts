// The Kubernetes bandwidth annotations, as a runtime passes the pod's annotations in the
// `io.kubernetes.cri.pod-annotations` capability ({"<annotation>": "<value>", ...}; containerd
// always offers it) or `cni-chain add --annotation K=V` does. Values are quantities in bits/s; the
// kubelet's bounds apply (at least 1k, at most 1P), and an invalid one names its annotation.
import { invalidConfig } from '../../src/cni/errors.js'
import { quantityValue } from './quantity.js'

export const POD_ANNOTATIONS_CAPABILITY = 'io.kubernetes.cri.pod-annotations'
export const INGRESS_ANNOTATION = 'kubernetes.io/ingress-bandwidth'
export const EGRESS_ANNOTATION = 'kubernetes.io/egress-bandwidth'

const MIN = 1000n
const MAX = 10n ** 15n

/** annotationRate parses one bandwidth annotation's value into bits/s (code 7 naming it when invalid). */
export const annotationRate = (annotation: string, value: unknown): number => {
  if (typeof value !== 'string') throw invalidConfig(`pod annotation ${annotation} must be a string, got ${JSON.stringify(value)}`)
  const bits = quantityValue(value)
  if (bits === undefined) throw invalidConfig(`pod annotation ${annotation}: ${JSON.stringify(value)} is not a Kubernetes quantity (e.g. 10M, 1.5M, 500k, 1Gi)`)
  if (bits < MIN) throw invalidConfig(`pod annotation ${annotation}: ${JSON.stringify(value)} is unreasonably small (< 1kbit)`)
  if (bits > MAX) throw invalidConfig(`pod annotation ${annotation}: ${JSON.stringify(value)} is unreasonably large (> 1Pbit)`)
  return Number(bits)
}

/** The rates the two annotations ask for (absent annotation: no entry). */
export interface AnnotatedRates {
  ingressRate?: number
  egressRate?: number
}

/** ratesFromAnnotations reads the two annotations from a pod-annotations map (keys are exact, as in Kubernetes). */
export const ratesFromAnnotations = (annotations: Record<string, unknown>): AnnotatedRates => {
  const out: AnnotatedRates = {}
  const ingress = annotations[INGRESS_ANNOTATION]
  const egress = annotations[EGRESS_ANNOTATION]
  if (ingress !== undefined) out.ingressRate = annotationRate(INGRESS_ANNOTATION, ingress)
  if (egress !== undefined) out.egressRate = annotationRate(EGRESS_ANNOTATION, egress)
  return out
}
