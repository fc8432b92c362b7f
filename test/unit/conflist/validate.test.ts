// `conflist validate`, pure: the upstream conflists (valid ones accepted, the untemplated Calico
// template refused at its JSON path), schema problems with paths, and cni-chain plugins checked by
// their own parsers (also inside a `chain` plugin, and in a single-plugin .conf).
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'
import { validateText } from '../../../chain/cli/conflist/validate.js'

const UPSTREAM = resolve(import.meta.dirname, '../../../conflists/upstream')
const upstream = (f: string): string => readFileSync(join(UPSTREAM, f), 'utf8')
const list = (plugins: object[], extra: object = {}) => JSON.stringify({ cniVersion: '1.0.0', name: 'n', ...extra, plugins })

t.test('upstream conflists: the real ones are valid, the Calico template is not JSON', async (t) => {
  for (const f of ['flannel.conflist', 'k3s.conflist', 'calico.conflist', 'cilium-chained-calico.conflist', 'podman.conflist']) {
    t.same(validateText(upstream(f)), [], f)
  }
  t.same(validateText(upstream('calico.conflist.template')), [
    { path: '$.plugins[0].mtu', message: 'not JSON: unexpected character "_" (expected a value) at line 11 column 14' },
  ])
})

t.test('the project conflists are valid too', async (t) => {
  const dir = resolve(import.meta.dirname, '../../../conflists')
  for (const f of ['bridge-chain.conflist', 'bridge-chain-single-process.conflist']) t.same(validateText(readFileSync(join(dir, f), 'utf8')), [], f)
})

t.test('schema problems, each with its JSON path', async (t) => {
  t.same(validateText('{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}'), [{ path: '$.name', message: 'is required' }])
  t.same(validateText(list([{ type: 'bridge' }, { capabilities: { portMappings: 'yes' } }])), [
    { path: '$.plugins[1].type', message: 'is required' },
    { path: '$.plugins[1].capabilities.portMappings', message: 'must be boolean' },
  ])
  t.same(validateText(list([{ type: 'a/b' }], { name: 'bad name', disableCheck: 'yes' })), [
    { path: '$.name', message: 'must match pattern "^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$"' },
    { path: '$.disableCheck', message: 'must be a boolean, or the string "true" or "false"' },
    { path: '$.plugins[0].type', message: 'must match pattern "^[^/\\\\]+$"' },
  ])
  t.same(validateText('[1]'), [{ path: '$', message: 'not a conflist: the top level is not a JSON object' }])
  t.same(validateText(list([], { cniVersions: ['x'] })).map((p) => p.path), ['$.cniVersions[0]', '$.plugins'])
})

t.test("cni-chain's plugins are checked by their own parsers", async (t) => {
  t.same(validateText(list([{ type: 'bridge' }, { type: 'tuning', mtu: 70000 }])), [{ path: '$.plugins[1].mtu', message: 'tuning: must be <= 65535' }])
  t.same(validateText(list([{ type: 'bridge' }, { type: 'tuning', mtu: 60 }])), [{ path: '$.plugins[1]', message: 'tuning: mtu 60 is below the minimum of 68' }])
  t.same(validateText(list([{ type: 'bridge' }, { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_filter': '1', 'net/ipv4/conf/eth0/arp_filter': '0' } }])).map((p) => p.path), ['$.plugins[1]'], 'duplicated sysctl')
  const dupKeys = '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"},{"type":"tuning","sysctl":{"net.core.somaxconn":"1","net.core.somaxconn":"2"}}]}'
  t.match(validateText(dupKeys), [{ path: '$.plugins[1]', message: /tuning: .*net\.core\.somaxconn/ }], 'duplicate keys in the text are seen')
  t.same(validateText(list([{ type: 'bridge' }, { type: 'portmap', snat: 'yes' }])), [{ path: '$.plugins[1].snat', message: 'portmap: must be boolean' }])
  t.same(validateText(list([{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }], { cniVersion: '0.2.0' })),
    [{ path: '$.plugins[1]', message: 'portmap: cniVersion "0.2.0" is not one cni-chain supports (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)' }])
  t.same(validateText(list([{ type: 'bridge' }, { type: 'bandwidth', capabilities: { bandwidth: true } }, { type: 'firewall' }])), [])
  t.match(validateText(list([{ type: 'bridge' }, { type: 'bandwidth', ingressRate: -1 }])), [{ path: '$.plugins[1].ingressRate', message: /^bandwidth: / }], 'bandwidth')
  t.same(validateText(list([{ type: 'bridge' }, { type: 'firewall', ingressPolicy: 'closed' }])).map((p) => p.path), ['$.plugins[1]'], 'firewall')
  t.match(validateText(list([{ type: 'bridge' }, { type: 'firewall', ingressPolicy: 'closed' }]))[0]?.message, /^firewall: .*closed/)
  t.same(validateText(list([{ type: 'calico', mtu: 'whatever' }])), [], 'other plugins are not ours to judge')
})

t.test('inside a chain plugin, and in a .conf', async (t) => {
  t.same(validateText(list([{ type: 'bridge' }, { type: 'chain', plugins: [{ type: 'portmap' }, { type: 'tuning', mtu: 1 }, { nope: 1 }] }])), [
    { path: '$.plugins[1].plugins[2]', message: 'chain: must be an object with a plugin "type" (a file name)' },
    { path: '$.plugins[1].plugins[1]', message: 'tuning: mtu 1 is below the minimum of 68' },
  ])
  t.same(validateText(list([{ type: 'bridge' }, { type: 'chain' }])), [{ path: '$.plugins[1].plugins', message: 'chain: must be a non-empty array of plugin configs' }])
  t.same(validateText('{"cniVersion":"1.0.0","name":"n","type":"tuning","mtu":100000}'), [{ path: '$.mtu', message: 'tuning: must be <= 65535' }])
  t.same(validateText('{"cniVersion":"1.0.0","name":"n","type":"bridge"}'), [])
  t.same(validateText('{"cniVersion":"1.0.0","type":"bridge"}'), [{ path: '$.name', message: 'is required' }])
})
