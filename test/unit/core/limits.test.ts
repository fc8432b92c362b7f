// Size limits (src/cni/limits.ts): one over the limit is refused with code 7 naming the field and
// the limit, before any host call; exactly at the limit passes the limit check.
import t from 'tap'
import { LIMITS } from '../../../src/cni/limits.js'
import { createFakeHost } from '../../../src/host/fake.js'
import { pluginFromMeta } from '../../../src/plan/meta-plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'
import type { PluginDefinition } from '../../../src/skel/plugin.js'
import { portmapPlugin } from '../../../meta-plugins/portmap/plugin.js'
import { parsePortmapConfig } from '../../../meta-plugins/portmap/config.js'
import { tuningPlugin } from '../../../meta-plugins/tuning/plugin.js'

const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/p' }], ips: [{ address: '10.0.0.2/24', interface: 0 }] }

const invoke = async (plugin: PluginDefinition, conf: object) => {
  const host = createFakeHost()
  const calls: string[] = []
  const counted = new Proxy(host, { get: (target, key) => { calls.push(String(key)); return Reflect.get(target, key) } })
  let out = ''
  const code = await runPlugin(plugin, {
    env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
    readStdin: async () => JSON.stringify(conf),
    stdout: (s) => { out += s },
    stderr: () => undefined,
  }, () => counted)
  return { code, out: JSON.parse(out || '{}'), calls }
}

const mappings = (n: number) => Array.from({ length: n }, (_, i) => ({ hostPort: 1024 + i, containerPort: 80, protocol: 'tcp' }))
const portmapConf = (extra: object) => ({ cniVersion: '1.0.0', name: 'net', type: 'portmap', stateDir: '/run/pm', prevResult, ...extra })

t.test('portmap: more port mappings than the limit', async (t) => {
  const r = await invoke(pluginFromMeta(portmapPlugin), portmapConf({ runtimeConfig: { portMappings: mappings(LIMITS.PORT_MAPPINGS + 1) } }))
  t.equal(r.code, 1)
  t.equal(r.out.code, 7)
  t.match(r.out.details, `runtimeConfig.portMappings: ${LIMITS.PORT_MAPPINGS + 1} entries, more than the limit of ${LIMITS.PORT_MAPPINGS}`)
  t.same(r.calls, [], 'not one host call')
})

t.test('portmap: 10,000 mappings are refused, not worked through', async (t) => {
  const r = await invoke(pluginFromMeta(portmapPlugin), portmapConf({ runtimeConfig: { portMappings: mappings(10_000) } }))
  t.equal(r.out.code, 7)
  t.match(r.out.details, /10000 entries/)
})

t.test('portmap: exactly the limit parses', async (t) => {
  const cfg = parsePortmapConfig(portmapConf({ runtimeConfig: { portMappings: mappings(LIMITS.PORT_MAPPINGS) } }) as never, 'eth0')
  t.equal(cfg.mappings.length, LIMITS.PORT_MAPPINGS)
})

t.test('portmap: conditions and excludeDestinations over the limit', async (t) => {
  const one = { runtimeConfig: { portMappings: mappings(1) } }
  for (const [field, value, max] of [
    ['conditionsV4', Array(LIMITS.CONDITIONS + 1).fill('ip saddr 10.0.0.0/8'), LIMITS.CONDITIONS],
    ['conditionsV6', Array(LIMITS.CONDITIONS + 1).fill('ip6 saddr ::/0'), LIMITS.CONDITIONS],
    ['excludeDestinations', Array(LIMITS.EXCLUDE_DESTINATIONS + 1).fill('10.96.0.0/12'), LIMITS.EXCLUDE_DESTINATIONS],
  ] as const) {
    const r = await invoke(pluginFromMeta(portmapPlugin), portmapConf({ ...one, [field]: value }))
    t.equal(r.out.code, 7, field)
    t.match(r.out.details, `${field}: ${max + 1} entries, more than the limit of ${max}`)
  }
})

t.test('tuning: more sysctls than the limit, in the config or in args.cni', async (t) => {
  const many = Object.fromEntries(Array.from({ length: LIMITS.SYSCTLS + 1 }, (_, i) => [`net.ipv4.conf.eth0.k${i}`, '1']))
  const base = { cniVersion: '1.0.0', name: 'net', type: 'tuning', prevResult }
  for (const [field, conf] of [['sysctl', { ...base, sysctl: many }], ['args.cni.sysctl', { ...base, args: { cni: { sysctl: many } } }]] as const) {
    const r = await invoke(pluginFromMeta(tuningPlugin), conf)
    t.equal(r.out.code, 7, field)
    t.match(r.out.details, `${field}: ${LIMITS.SYSCTLS + 1} entries, more than the limit of ${LIMITS.SYSCTLS}`)
    t.same(r.calls, [], 'not one host call')
  }
})
