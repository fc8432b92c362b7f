// Configuration: sources and their precedence, case-insensitive keys (containerd's PascalCase),
// the runtimes' "no burst" sentinels, and the reference's validation table.
import t, { type Test } from 'tap'
import { parseBandwidthConfig } from '../../../meta-plugins/bandwidth/config.js'
import type { PluginRequest } from '../../../src/skel/plugin.js'
import { CniError } from '../../../src/cni/errors.js'

const req = (conf: object): PluginRequest => {
  const full = { cniVersion: '1.0.0', name: 'net', type: 'bandwidth', ...conf }
  return {
    env: { command: 'ADD', containerId: 'c1', netns: '/run/netns/p', ifname: 'eth0', args: '', path: [] } as unknown as PluginRequest['env'],
    conf: full,
    stdin: JSON.stringify(full),
  }
}
const parse = (conf: object) => {
  const c = parseBandwidthConfig(req(conf))
  return { source: c.source, ingress: c.ingress, egress: c.egress }
}
const refuse = (t: Test, conf: object, msg: RegExp | string) => {
  try {
    parseBandwidthConfig(req(conf))
    t.fail(`accepted ${JSON.stringify(conf)}`)
  } catch (err) {
    t.ok(err instanceof CniError, 'a CniError')
    t.equal((err as CniError).code, 7, 'code 7')
    if (typeof msg === 'string') t.equal((err as CniError).details, msg)
    else t.match((err as CniError).details, msg)
  }
}

t.test('static config', async (t) => {
  t.same(parse({ ingressRate: 8000, ingressBurst: 80, egressRate: 16, egressBurst: 8 }), {
    source: 'config', ingress: { rate: 8000, burst: 80 }, egress: { rate: 16, burst: 8 },
  })
  t.same(parse({ IngressRate: 8000, INGRESSBURST: 80 }), { source: 'config', ingress: { rate: 8000, burst: 80 }, egress: undefined }, 'keys in any case')
  t.same(parse({}), { source: 'none', ingress: undefined, egress: undefined })
  t.same(parse({ ingressRate: 0, ingressBurst: 0, runtimeConfig: { bandwidth: { ingressRate: 8000, ingressBurst: 80 } } }),
    { source: 'config', ingress: undefined, egress: undefined }, 'a static zero entry hides runtimeConfig (reference)')
})

t.test('runtimeConfig.bandwidth: any spelling, sentinels mean "no burst given"', async (t) => {
  t.same(parse({ runtimeConfig: { bandwidth: { ingressRate: 8000, ingressBurst: 80, egressRate: 16, egressBurst: 9 } } }),
    { source: 'runtimeConfig.bandwidth', ingress: { rate: 8000, burst: 80 }, egress: { rate: 16, burst: 9 } })
  t.same(parse({ RuntimeConfig: { bandWidth: { IngressRate: 10_000_000, IngressBurst: 4294967295, EgressRate: 20_000_000, EgressBurst: 4294967295 } } }),
    { source: 'runtimeConfig.bandwidth', ingress: { rate: 10_000_000, burst: undefined }, egress: { rate: 20_000_000, burst: undefined } }, "containerd's spelling and sentinel")
  t.same(parse({ runtimeConfig: { bandwidth: { ingressRate: 10_000_000, ingressBurst: 34359738359 } } }),
    { source: 'runtimeConfig.bandwidth', ingress: { rate: 10_000_000, burst: undefined }, egress: undefined }, "CRI-O's sentinel")
  t.same(parse({ runtimeConfig: { bandwidth: { ingressRate: 0, ingressBurst: 4294967295, egressRate: 8000, egressBurst: 4294967295 } } }),
    { source: 'runtimeConfig.bandwidth', ingress: undefined, egress: { rate: 8000, burst: undefined } }, 'sentinel with rate 0: not shaped')
  t.same(parse({ ingressRate: 8000, ingressBurst: 4294967295 }), { source: 'config', ingress: { rate: 8000, burst: undefined }, egress: undefined }, 'in a conflist too')
})

t.test('pod annotations come last', async (t) => {
  const annotations = { 'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/ingress-bandwidth': '10M', 'kubernetes.io/egress-bandwidth': '1.5M' } }
  t.same(parse({ runtimeConfig: annotations }),
    { source: 'pod annotations', ingress: { rate: 10_000_000, burst: undefined }, egress: { rate: 1_500_000, burst: undefined } })
  t.same(parse({ runtimeConfig: { 'IO.Kubernetes.CRI.Pod-Annotations': { 'kubernetes.io/egress-bandwidth': '1Gi' } } }),
    { source: 'pod annotations', ingress: undefined, egress: { rate: 1_073_741_824, burst: undefined } }, 'capability key in any case')
  t.same(parse({ runtimeConfig: { ...annotations, bandwidth: { egressRate: 8000, egressBurst: 80 } } }),
    { source: 'runtimeConfig.bandwidth', ingress: undefined, egress: { rate: 8000, burst: 80 } }, 'runtimeConfig.bandwidth wins')
  t.same(parse({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'example.com/x': 'y' } } }), { source: 'none', ingress: undefined, egress: undefined })
  refuse(t, { runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/ingress-bandwidth': '10 M' } } }, /pod annotation kubernetes.io\/ingress-bandwidth: "10 M" is not a Kubernetes quantity/)
  refuse(t, { runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'kubernetes.io/egress-bandwidth': '100' } } }, /kubernetes.io\/egress-bandwidth: "100" is unreasonably small/)
})

t.test("the reference's validation", async (t) => {
  refuse(t, { ingressRate: 0, ingressBurst: 123 }, 'if burst is set, rate must also be set')
  refuse(t, { egressRate: 123, egressBurst: 0 }, 'if rate is set, burst must also be set')
  refuse(t, { egressRate: 123 }, 'if rate is set, burst must also be set')
  refuse(t, { ingressRate: 0, ingressBurst: 123, runtimeConfig: { bandwidth: { ingressRate: 8000, ingressBurst: 80 } } }, 'if burst is set, rate must also be set')
  t.same(parse({ ingressRate: 5000, ingressBurst: 4 * 1024 ** 3 * 8 - 16 }).ingress, { rate: 5000, burst: 4 * 1024 ** 3 * 8 - 16 }, 'just under 4 GiB')
  refuse(t, { ingressRate: 5000, ingressBurst: 4 * 1024 ** 3 * 8 }, 'burst cannot be more than 4GB')
  refuse(t, { runtimeConfig: { bandwidth: { egressRate: 1, egressBurst: 0 } } }, 'if rate is set, burst must also be set')
})

t.test('types and bounds', async (t) => {
  refuse(t, { ingressRate: -1, ingressBurst: 8 }, /ingressRate must be >= 0/)
  refuse(t, { ingressRate: 1.5, ingressBurst: 8 }, /ingressRate must be integer/)
  refuse(t, { ingressRate: '10M', ingressBurst: 8 }, /ingressRate must be integer/)
  refuse(t, { egressRate: 2 ** 60, egressBurst: 8 }, /egressRate must be <=/)
  refuse(t, { runtimeConfig: { bandwidth: { IngressRate: -5, IngressBurst: 1 } } }, /runtimeConfig\/bandwidth\/ingressRate must be >= 0/)
  refuse(t, { ingressRate: 7, ingressBurst: 8 }, /ingressRate 7 bits\/s is below 8/)
  refuse(t, { dataDir: 'relative', ingressRate: 8000, ingressBurst: 80 }, /dataDir "relative" must be an absolute path/)
  refuse(t, { dataDir: '/run/../etc' }, /must be an absolute path/)
  t.same(parse({ ingressRate: null, ingressBurst: null }), { source: 'none', ingress: undefined, egress: undefined }, 'null is unset, as in Go')
})

t.test('DEL and GC read no rates: a bad value never blocks a cleanup', async (t) => {
  const c = parseBandwidthConfig(req({ ingressRate: 0, ingressBurst: 123, dataDir: '/tmp/bw/' }), { rates: false })
  t.same([c.source, c.dataDir], ['none', '/tmp/bw'])
  t.throws(() => parseBandwidthConfig(req({ ingressRate: 'x' }), { rates: false }), /must be integer/, 'the schema still applies')
})
