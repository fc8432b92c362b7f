// Pure conflist edits on the upstream conflists and on hand-made styles: appended plugins look
// like their neighbours, every other byte stays, edits are idempotent, replace in place or
// refuse, removal, .conf conversion, and every kind of broken input refused.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t from 'tap'
import { ConflistError, parsePluginArg, readConflistDoc } from '../../../chain/cli/conflist/document.js'
import { appendPlugin, convertConf, removePlugins, type AppendOptions } from '../../../chain/cli/conflist/edit.js'

const UPSTREAM = resolve(import.meta.dirname, '../../../conflists/upstream')
const upstream = (f: string): string => readFileSync(join(UPSTREAM, f), 'utf8')

const BANDWIDTH = '{"type":"bandwidth","capabilities":{"bandwidth":true}}'
const append = (text: string, plugin: string, opts: Partial<AppendOptions> = {}) =>
  appendPlugin(readConflistDoc(text, 'f'), parsePluginArg(plugin), { onDifferent: 'replace', ...opts }, 'f')
const types = (text: string) => (JSON.parse(text) as { plugins: { type: string }[] }).plugins.map((p) => p.type)

t.test("appending bandwidth to Flannel's conflist: flannel, portmap, bandwidth, the rest byte for byte", async (t) => {
  const before = upstream('flannel.conflist')
  const r = append(before, BANDWIDTH)
  t.equal(r.action, 'appended')
  t.same(types(r.text), ['flannel', 'portmap', 'bandwidth'])
  t.same(JSON.parse(r.text).plugins[0], JSON.parse(before).plugins[0], 'the delegate block is intact')
  // exactly one insertion, in the file's own 2-space style, right after the last plugin
  const expectedInsert = ',\n    {\n      "type": "bandwidth",\n      "capabilities": {\n        "bandwidth": true\n      }\n    }'
  const at = before.lastIndexOf('}\n  ]')
  t.equal(r.text, before.slice(0, at + 1) + expectedInsert + before.slice(at + 1))
  const again = append(r.text, BANDWIDTH)
  t.equal(again.action, 'unchanged')
  t.equal(again.text, r.text, 'a second append leaves the file byte for byte')
  t.equal(append(r.text, '{"capabilities":{"bandwidth":true},"type":"bandwidth"}').text, r.text, 'key order does not make it different')
})

t.test('k3s style ("key":"value", no space) is kept in what is inserted', async (t) => {
  const before = upstream('k3s.conflist')
  const r = append(before, '{"type":"tuning","sysctl":{"net.core.somaxconn":"1024"}}')
  t.same(types(r.text), ['flannel', 'portmap', 'bandwidth', 'tuning'])
  t.match(r.text, '    {\n      "type":"tuning",\n      "sysctl":{\n        "net.core.somaxconn":"1024"\n      }\n    }\n  ]\n}')
  t.equal(r.text.slice(0, before.lastIndexOf('}\n  ]') + 1), before.slice(0, before.lastIndexOf('}\n  ]') + 1))
})

t.test('tabs, 4 spaces, CRLF, one line, empty plugins: the new plugin follows the file', async (t) => {
  const tabs = '{\n\t"name": "n",\n\t"cniVersion": "1.0.0",\n\t"plugins": [\n\t\t{\n\t\t\t"type": "bridge"\n\t\t}\n\t]\n}\n'
  t.equal(append(tabs, '{"type":"portmap","capabilities":{"portMappings":true}}').text,
    '{\n\t"name": "n",\n\t"cniVersion": "1.0.0",\n\t"plugins": [\n\t\t{\n\t\t\t"type": "bridge"\n\t\t},\n\t\t{\n\t\t\t"type": "portmap",\n\t\t\t"capabilities": {\n\t\t\t\t"portMappings": true\n\t\t\t}\n\t\t}\n\t]\n}\n')
  const four = '{\n    "name": "n",\n    "plugins": [\n        {"type": "bridge"}\n    ]\n}'
  t.equal(append(four, '{"type":"tuning"}').text, '{\n    "name": "n",\n    "plugins": [\n        {"type": "bridge"},\n        {\n            "type": "tuning"\n        }\n    ]\n}', 'no trailing newline stays without one')
  const crlf = '{\r\n  "name": "n",\r\n  "plugins": [\r\n    {"type": "bridge"}\r\n  ]\r\n}\r\n'
  t.equal(append(crlf, '{"type":"tuning","mtu":1400}').text, '{\r\n  "name": "n",\r\n  "plugins": [\r\n    {"type": "bridge"},\r\n    {\r\n      "type": "tuning",\r\n      "mtu": 1400\r\n    }\r\n  ]\r\n}\r\n')
  const oneLine = '{"name":"n","plugins":[{"type":"bridge"}]}'
  t.equal(append(oneLine, '{"type": "tuning", "sysctl": {"a.b": "1"}}').text, '{"name":"n","plugins":[{"type":"bridge"},{"type":"tuning","sysctl":{"a.b":"1"}}]}')
  const inline = '{\n  "name": "n",\n  "plugins": [{"type": "bridge"}, {"type": "portmap"}]\n}\n'
  t.equal(append(inline, '{"type":"tuning"}').text, '{\n  "name": "n",\n  "plugins": [{"type": "bridge"}, {"type": "portmap"}, {"type": "tuning"}]\n}\n', 'inline elements stay inline')
  const empty = '{\n  "name": "n",\n  "loadOnlyInlinedPlugins": false,\n  "plugins": []\n}\n'
  t.equal(append(empty, '{"type":"tuning"}').text, '{\n  "name": "n",\n  "loadOnlyInlinedPlugins": false,\n  "plugins": [\n    {\n      "type": "tuning"\n    }\n  ]\n}\n')
})

t.test('unknown content, vendor keys, big numbers and escapes survive untouched', async (t) => {
  const before = '{\n  "name": "n",\n  "x-vendor": {"deep": [1, {"n": 18446744073709551615}]},\n  "plugins": [\n    {"type": "bridge", "note": "caf\\u00e9"}\n  ],\n  "trailer": 1e400\n}\n'
  // 1e400 is not a double, but it is valid JSON and must come back as written
  const r = append(before, '{"type":"bandwidth","burst":18446744073709551615}')
  t.match(r.text, '"x-vendor": {"deep": [1, {"n": 18446744073709551615}]}')
  t.match(r.text, '"note": "caf\\u00e9"')
  t.match(r.text, '"burst": 18446744073709551615', 'the --plugin number keeps its digits')
  t.match(r.text, '"trailer": 1e400')
})

t.test('same type, other settings: replaced in place; --no-replace refuses; install keeps', async (t) => {
  const podman = upstream('podman.conflist')
  const r = append(podman, '{"type":"tuning","mtu":1400}')
  t.equal(r.action, 'replaced')
  t.same(types(r.text), ['bridge', 'portmap', 'firewall', 'tuning'], 'same position')
  t.same(JSON.parse(r.text).plugins[3], { type: 'tuning', mtu: 1400 })
  t.equal(r.text.slice(0, podman.indexOf('"type": "tuning"')), podman.slice(0, podman.indexOf('"type": "tuning"')), 'bytes before the plugin unchanged')
  const middle = append(podman, '{"type":"portmap","capabilities":{"portMappings":true},"snat":false}')
  t.same(types(middle.text), ['bridge', 'portmap', 'firewall', 'tuning'], 'a plugin in the middle is replaced where it is')
  t.throws(() => append(podman, '{"type":"tuning","mtu":1400}', { onDifferent: 'refuse' }), /plugins\[3\] is a tuning plugin with other settings/)
  t.same(append(podman, '{"type":"tuning","mtu":1400}', { onDifferent: 'keep' }), { text: podman, action: 'kept' })
})

t.test('--after and --before', async (t) => {
  const flannel = upstream('flannel.conflist')
  t.same(types(append(flannel, '{"type":"tuning"}', { after: 'flannel' }).text), ['flannel', 'tuning', 'portmap'])
  t.same(types(append(flannel, '{"type":"tuning"}', { before: 'flannel' }).text), ['tuning', 'flannel', 'portmap'])
  t.same(types(append(flannel, '{"type":"tuning"}', { after: 'portmap' }).text), ['flannel', 'portmap', 'tuning'])
  t.throws(() => append(flannel, '{"type":"tuning"}', { after: 'calico' }), /--after calico: no calico plugin/)
  const inserted = append(flannel, '{"type":"tuning"}', { before: 'portmap' }).text
  t.match(inserted, '    },\n    {\n      "type": "tuning"\n    },\n    {\n      "type": "portmap"', 'the separator before the next element is reused')
})

t.test('remove: every plugin of the type, the rest byte for byte; the last plugin is refused', async (t) => {
  const flannel = upstream('flannel.conflist')
  const withBw = append(flannel, BANDWIDTH).text
  const r = removePlugins(readConflistDoc(withBw, 'f'), 'bandwidth', 'f')
  t.equal(r.action, 1)
  t.equal(r.text, flannel, 'append then remove gives the original bytes back')
  const first = removePlugins(readConflistDoc(flannel, 'f'), 'flannel', 'f')
  t.same(types(first.text), ['portmap'])
  t.match(first.text, '"plugins": [\n    {\n      "type": "portmap"')
  t.equal(removePlugins(readConflistDoc(flannel, 'f'), 'bandwidth', 'f').action, 0, 'absent type: nothing removed')
  const two = '{"name":"n","plugins":[{"type":"a"},{"type":"b","x":1},{"type":"b","x":2},{"type":"c"}]}'
  t.equal(removePlugins(readConflistDoc(two, 'f'), 'b', 'f').text, '{"name":"n","plugins":[{"type":"a"},{"type":"c"}]}')
  const only = removePlugins(readConflistDoc(two, 'f'), 'b', 'f', (node, doc) => doc.text.slice(node.start, node.end).includes('"x":2'))
  t.equal(only.text, '{"name":"n","plugins":[{"type":"a"},{"type":"b","x":1},{"type":"c"}]}', 'a matcher narrows the removal')
  t.throws(() => removePlugins(readConflistDoc('{"name":"n","plugins":[{"type":"a"}]}', 'f'), 'a', 'f'), /without plugins/)
})

t.test('convert: a .conf becomes the list libcni wraps it into, in the same style', async (t) => {
  const conf = '{\n    "cniVersion": "0.4.0",\n    "name": "mynet",\n    "type": "bridge",\n    "ipam": {\n        "type": "host-local"\n    }\n}\n'
  const list = convertConf(conf, 'f')
  t.equal(list, '{\n    "cniVersion": "0.4.0",\n    "name": "mynet",\n    "plugins": [\n        {\n            "cniVersion": "0.4.0",\n            "name": "mynet",\n            "type": "bridge",\n            "ipam": {\n                "type": "host-local"\n            }\n        }\n    ]\n}\n')
  t.same(JSON.parse(list).plugins[0], JSON.parse(conf))
  t.equal(convertConf('{"name":"x","type":"ptp"}', 'f'), '{"name":"x","plugins":[{"name":"x","type":"ptp"}]}')
  t.throws(() => convertConf(upstream('flannel.conflist'), 'f'), /already a conflist/)
  t.throws(() => convertConf('{"type":"bridge"}', 'f'), /no "name"/)
  t.throws(() => convertConf('{"name":"x"}', 'f'), /no "type"/)
  t.throws(() => convertConf('{"name":"x",', 'f'), /not JSON/)
})

t.test('broken input is refused with a clear error', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"name": "n", "plugins": [', /f: not JSON: unexpected end of input \(expected a value\) at line 1 column 27 \(at \$\.plugins\[0\]\)/],
    ['the Calico template', upstream('calico.conflist.template'), /not JSON: unexpected character "_" .* at line 11 column 14 \(at \$\.plugins\[0\]\.mtu\)/],
    ['an array', '[]', /not a conflist: the top level is not a JSON object/],
    ['a .conf', '{"name":"n","type":"bridge"}', /single-plugin config \(\.conf\), not a conflist: convert it first/],
    ['no plugins', '{"name":"n"}', /no "plugins" array/],
    ['plugins not an array', '{"name":"n","plugins":{}}', /\$\.plugins is not an array/],
    ['a plugin not an object', '{"name":"n","plugins":[1]}', /\$\.plugins\[0\] is not a JSON object/],
    ['a plugin without type', '{"name":"n","plugins":[{"type":"a"},{"x":1}]}', /\$\.plugins\[1\] has no "type"/],
    ['an empty type', '{"name":"n","plugins":[{"type":""}]}', /\$\.plugins\[0\] has no "type"/],
    ['a type with a slash', '{"name":"n","plugins":[{"type":"../x"}]}', /is not a file name/],
  ]
  for (const [what, text, re] of cases) t.throws(() => readConflistDoc(text, 'f'), re, what)
  for (const e of cases) t.throws(() => readConflistDoc(e[1], 'f'), ConflistError)
  const plugins: [string, RegExp][] = [
    ['{"type": "bandwidth"', /--plugin: not JSON/],
    ['bandwidth', /--plugin: not JSON/],
    ['[]', /--plugin: not a JSON object/],
    ['{"capabilities": {}}', /--plugin: no "type"/],
    ['{"type": "a/b"}', /--plugin: plugin type "a\/b" is not a file name/],
    ['{"type": "bandwidth", "capabilities": {"bandwidth": "yes"}}', /--plugin: invalid network config/],
  ]
  for (const [arg, re] of plugins) t.throws(() => parsePluginArg(arg), re, arg)
})
