// Kubernetes quantities (resource.ParseQuantity + Value(), which rounds up) and the bandwidth
// annotations' bounds and messages.
import t from 'tap'
import { quantityValue } from '../../../meta-plugins/bandwidth/quantity.js'
import { annotationRate, ratesFromAnnotations } from '../../../meta-plugins/bandwidth/annotations.js'
import { CniError } from '../../../src/cni/errors.js'

t.test('quantity values', async (t) => {
  const table: [string, bigint | undefined][] = [
    ['10M', 10_000_000n], ['1Gi', 1_073_741_824n], ['500k', 500_000n], ['1.5M', 1_500_000n], ['10Mi', 10_485_760n],
    ['1G', 1_000_000_000n], ['2T', 2_000_000_000_000n], ['1P', 10n ** 15n], ['3E', 3n * 10n ** 18n], ['1Ki', 1024n],
    ['1000', 1000n], ['+5k', 5000n], ['1e6', 1_000_000n], ['1E3', 1000n], ['2.5e3', 2500n], ['1e-3', 1n],
    ['100m', 1n], ['1500m', 2n], ['0.1k', 100n], ['.5k', 500n], ['5.', 5n], ['1.0000001k', 1001n], ['7u', 1n], ['9n', 1n],
    ['0', 0n], ['-1M', -1_000_000n], ['-1.5', -1n],
    ['', undefined], ['M', undefined], ['10 M', undefined], [' 10M', undefined], ['10MB', undefined], ['10mi', undefined],
    ['10K', undefined], ['1.2.3', undefined], ['0x10', undefined], ['1e', undefined], ['1e1000', undefined], ['10Mbit', undefined], ['ten', undefined],
  ]
  for (const [text, want] of table) t.equal(quantityValue(text), want, JSON.stringify(text))
})

t.test('annotation rates: bounds and messages name the annotation', async (t) => {
  t.equal(annotationRate('kubernetes.io/ingress-bandwidth', '10M'), 10_000_000)
  t.equal(annotationRate('kubernetes.io/ingress-bandwidth', '1k'), 1000, 'the kubelet minimum')
  t.equal(annotationRate('kubernetes.io/ingress-bandwidth', '1P'), 10 ** 15, 'the kubelet maximum')
  const bad: [unknown, RegExp][] = [
    ['10X', /kubernetes.io\/egress-bandwidth: "10X" is not a Kubernetes quantity/],
    ['999', /kubernetes.io\/egress-bandwidth: "999" is unreasonably small/],
    ['-10M', /unreasonably small/],
    ['2P', /unreasonably large/],
    [10, /kubernetes.io\/egress-bandwidth must be a string/],
  ]
  for (const [value, msg] of bad) {
    t.throws(() => annotationRate('kubernetes.io/egress-bandwidth', value), msg, JSON.stringify(value))
    try {
      annotationRate('kubernetes.io/egress-bandwidth', value)
    } catch (err) {
      t.equal((err as CniError).code, 7)
    }
  }
  t.same(ratesFromAnnotations({ 'kubernetes.io/ingress-bandwidth': '10M', 'kubernetes.io/egress-bandwidth': '20M', other: 'x' }),
    { ingressRate: 10_000_000, egressRate: 20_000_000 })
  t.same(ratesFromAnnotations({ 'Kubernetes.io/Ingress-Bandwidth': '10M' }), {}, 'annotation keys are exact, as in Kubernetes')
  t.same(ratesFromAnnotations({ 'kubernetes.io/egress-bandwidth': '1.5M' }), { egressRate: 1_500_000 })
})
