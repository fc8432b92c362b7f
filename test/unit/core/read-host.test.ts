// A plan cannot write: MetaPlugin hands plan, check, recover and status a ReadHost (reads only).
// The proof is the typecheck (`tsc -p .`, part of npm test): every `@ts-expect-error` below must
// meet an error — a write through the ReadHost, or an implementation that asks for the full Host —
// or tsc fails on the unused directive. At run time the test only checks that reads type and run.
import t from 'tap'
import type { Host, ReadHost } from '../../../src/host/types.js'
import { createSemanticHost } from '../../../src/host/fake/index.js'
import type { MetaPlugin } from '../../../src/plan/meta-plugin.js'
import type { Plan } from '../../../src/plan/types.js'

const base = { type: 'x', versions: ['1.1.0'], about: 'x', check: async () => {} }

const writesInPlan: MetaPlugin = {
  ...base,
  plan: async (_verb, _req, host): Promise<Plan> => {
    // @ts-expect-error nft.apply is not on a ReadHost
    await host.nft.apply([])
    // @ts-expect-error ip.run is not on a ReadHost
    await host.ip.run([['link', 'del', 'eth0']])
    // @ts-expect-error sysctl.write is not on a ReadHost
    await host.sysctl.write([['net/ipv4/ip_forward', '1']])
    // @ts-expect-error files.write is not on a ReadHost
    await host.files.write('/tmp/x', '', 0o600)
    // @ts-expect-error conntrack is not on a ReadHost
    await host.conntrack.deleteByPort('ipv4', 'tcp', 80)
    return { steps: [] }
  },
}

const planWantingHost = async (_verb: string, _req: unknown, host: Host): Promise<Plan> => {
  await host.nft.apply([])
  return { steps: [] }
}
// @ts-expect-error a plan typed with the full Host is not a MetaPlugin's plan
const sneaky: MetaPlugin = { ...base, plan: planWantingHost }

const recoverWrites: MetaPlugin = {
  ...base,
  plan: async () => ({ steps: [] }),
  recover: async (_verb, _req, host) => {
    // @ts-expect-error recover gets a ReadHost too
    await host.files.remove('/tmp/x')
    return undefined
  },
}

t.test('the reads a plan needs are on a ReadHost, and a Host is one', async (t) => {
  const host: ReadHost = createSemanticHost()
  t.same(await host.files.list('/nowhere'), [])
  t.equal(await host.nft.list(['table', 'inet', 'none']), undefined)
  t.equal(await host.netns.exists('/var/run/netns/none'), false)
  t.ok([writesInPlan, sneaky, recoverWrites].every((m) => typeof m.plan === 'function'))
})
