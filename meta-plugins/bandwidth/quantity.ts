// Kubernetes resource quantities (k8s.io/apimachinery resource.ParseQuantity) as the bandwidth
// annotations use them: `10M` = 10,000,000, `1.5M`, `500k`, `1Gi` = 2^30, `1e6`, `100m` = 0.1.
// Value() rounds up to an integer, as the kubelet does; arithmetic is exact (BigInt).

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }

const FORM = /^([+-]?)(\d+\.?\d*|\.\d+)(?:([eE])([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/

/**
 * quantityValue returns the integer value of a Kubernetes quantity, rounded up, or undefined
 * when `text` is not a quantity. Exponents beyond ±100 are refused (nothing useful lies there).
 */
export const quantityValue = (text: string): bigint | undefined => {
  const m = FORM.exec(text)
  if (!m) return undefined
  const [, sign = '', number = '', e, expText, suffix = ''] = m
  const [whole = '', frac = ''] = number.split('.')
  let num = BigInt(`${whole}${frac}` || '0')
  let den = 10n ** BigInt(frac.length)
  if (e !== undefined) {
    const exp = Number(expText)
    if (Math.abs(exp) > 100) return undefined
    if (exp >= 0) num *= 10n ** BigInt(exp)
    else den *= 10n ** BigInt(-exp)
  } else if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix] as number)
  } else {
    const exp = DECIMAL[suffix] as number
    if (exp >= 0) num *= 10n ** BigInt(exp)
    else den *= 10n ** BigInt(-exp)
  }
  const negative = sign === '-' && num !== 0n
  // ceil for positives; for negatives ceil is truncation toward zero
  const q = num / den
  const value = negative ? -q : num % den === 0n ? q : q + 1n
  return value
}
