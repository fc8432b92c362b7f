import t from 'tap'
import { invalidConfig } from '../../../src/cni/errors.js'
import type { Result } from '../../../src/cni/types.js'
import { SUPPORTED_VERSIONS } from '../../../src/cni/versions.js'
import { createFakeHost } from '../../../src/host/fake.js'
import type { PluginIO } from '../../../src/skel/io.js'
import type { PluginDefinition, PluginRequest } from '../../../src/skel/plugin.js'
import { runPlugin } from '../../../src/skel/run-plugin.js'

const ENV = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: '/bin' }

const RESULT: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1400, sandbox: '/run/netns/p' }],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
}

/** fakeIO gives runPlugin an env and stdin and collects what it prints. */
const fakeIO = (env: Record<string, string | undefined>, stdin: string) => {
  const out = { stdout: '', stderr: '' }
  const io: PluginIO = { env, readStdin: async () => stdin, stdout: (s) => void (out.stdout += s), stderr: (s) => void (out.stderr += s) }
  return { io, out }
}

/** A plugin that records its calls; `fail` makes every handler throw it. */
const fakePlugin = (fail?: unknown) => {
  const calls: { verb: string; req: PluginRequest }[] = []
  const handler = (verb: string) => async (req: PluginRequest) => {
    calls.push({ verb, req })
    if (fail) throw fail
  }
  const plugin: PluginDefinition = {
    type: 'fake', versions: SUPPORTED_VERSIONS, about: 'fake plugin v0',
    add: async (req) => {
      await handler('ADD')(req)
      return RESULT
    },
    del: handler('DEL'), check: handler('CHECK'), gc: handler('GC'), status: handler('STATUS'),
  }
  return { plugin, calls }
}

const call = async (plugin: PluginDefinition, env: Record<string, string | undefined>, stdin: unknown) => {
  const { io, out } = fakeIO(env, typeof stdin === 'string' ? stdin : JSON.stringify(stdin))
  let hostMade = 0
  const code = await runPlugin(plugin, io, () => {
    hostMade++
    return createFakeHost()
  })
  return { code, ...out, hostMade, json: out.stdout ? JSON.parse(out.stdout) : undefined }
}

t.test('VERSION prints the supported versions whatever stdin asks, without a host', async (t) => {
  for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    const r = await call(fakePlugin().plugin, { CNI_COMMAND: 'VERSION' }, { cniVersion: v })
    t.equal(r.code, 0)
    t.strictSame(r.json, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }, v)
    t.equal(r.hostMade, 0)
  }
})

t.test('no CNI_COMMAND prints the about line on stderr and exits 0', async (t) => {
  const r = await call(fakePlugin().plugin, {}, '')
  t.equal(r.code, 0)
  t.equal(r.stdout, '')
  t.match(r.stderr, /fake plugin v0\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0/)
})

t.test('ADD result is converted to the request version', async (t) => {
  const { plugin, calls } = fakePlugin()
  const r040 = await call(plugin, { ...ENV, CNI_COMMAND: 'ADD' }, { cniVersion: '0.4.0', name: 'net', type: 'fake' })
  t.equal(r040.code, 0)
  t.strictSame(r040.json, {
    cniVersion: '0.4.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/p' }],
    ips: [{ version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
    dns: {},
  })
  const r100 = await call(plugin, { ...ENV, CNI_COMMAND: 'ADD' }, { cniVersion: '1.0.0', name: 'net', type: 'fake' })
  t.strictSame(r100.json, { ...RESULT, cniVersion: '1.0.0' })
  t.equal(calls.length, 2)
  t.equal(calls[0]?.req.env.containerId, 'c1')
  t.equal(calls[0]?.req.conf.name, 'net')
  t.equal(calls[0]?.req.stdin, JSON.stringify({ cniVersion: '0.4.0', name: 'net', type: 'fake' }))
})

t.test('DEL, CHECK, GC and STATUS print nothing on success', async (t) => {
  const { plugin, calls } = fakePlugin()
  for (const verb of ['DEL', 'CHECK', 'GC', 'STATUS']) {
    const r = await call(plugin, { ...ENV, CNI_COMMAND: verb }, { cniVersion: '1.1.0', name: 'net', type: 'fake' })
    t.equal(r.code, 0, verb)
    t.equal(r.stdout, '', verb)
  }
  t.strictSame(calls.map((c) => c.verb), ['DEL', 'CHECK', 'GC', 'STATUS'])
})

t.test('a plugin without a DEL/GC handler succeeds (as skel)', async (t) => {
  const plugin: PluginDefinition = { type: 'bare', versions: SUPPORTED_VERSIONS, about: '' }
  t.equal((await call(plugin, { ...ENV, CNI_COMMAND: 'DEL' }, { cniVersion: '1.1.0', name: 'n' })).code, 0)
  t.equal((await call(plugin, { ...ENV, CNI_COMMAND: 'GC' }, { cniVersion: '1.1.0', name: 'n' })).code, 0)
  const add = await call(plugin, { ...ENV, CNI_COMMAND: 'ADD' }, { cniVersion: '1.1.0', name: 'n' })
  t.equal(add.code, 1)
  t.equal(add.json.code, 999)
})

type Bad = { name: string; env: Record<string, string | undefined>; stdin: unknown; code: number; msg: RegExp }
const BAD: Bad[] = [
  { name: 'stdin not JSON', env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: '{"cniVersion":', code: 6, msg: /error unmarshaling network config/ },
  { name: 'stdin not an object', env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: '[1]', code: 6, msg: /unmarshaling/ },
  { name: 'unsupported cniVersion', env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: { cniVersion: '2.0.0', name: 'n' }, code: 1, msg: /incompatible CNI versions/ },
  { name: 'missing cniVersion', env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: { name: 'n' }, code: 1, msg: /incompatible CNI versions/ },
  { name: 'missing env', env: { CNI_COMMAND: 'ADD', CNI_PATH: '/bin' }, stdin: { cniVersion: '1.1.0', name: 'n' }, code: 4, msg: /required env variables \[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME\] missing/ },
  { name: 'unknown CNI_COMMAND', env: { ...ENV, CNI_COMMAND: 'UP' }, stdin: { cniVersion: '1.1.0', name: 'n' }, code: 4, msg: /unknown CNI_COMMAND: UP/ },
  { name: 'missing network name', env: { ...ENV, CNI_COMMAND: 'DEL' }, stdin: { cniVersion: '1.1.0' }, code: 7, msg: /missing network name/ },
  { name: 'bad network name', env: { ...ENV, CNI_COMMAND: 'DEL' }, stdin: { cniVersion: '1.1.0', name: '../x' }, code: 7, msg: /invalid characters/ },
  { name: 'CHECK on 0.3.1', env: { ...ENV, CNI_COMMAND: 'CHECK' }, stdin: { cniVersion: '0.3.1', name: 'n' }, code: 1, msg: /config version does not allow CHECK/ },
  { name: 'GC on 1.0.0', env: { ...ENV, CNI_COMMAND: 'GC' }, stdin: { cniVersion: '1.0.0', name: 'n' }, code: 1, msg: /config version does not allow GC/ },
  { name: 'STATUS on 1.0.0', env: { ...ENV, CNI_COMMAND: 'STATUS' }, stdin: { cniVersion: '1.0.0', name: 'n' }, code: 1, msg: /config version does not allow STATUS/ },
]

t.test('bad input: CNI error on stdout with the spec code, exit 1, handler never called, no host', async (t) => {
  for (const b of BAD) {
    const { plugin, calls } = fakePlugin()
    const r = await call(plugin, b.env, b.stdin)
    t.equal(r.code, 1, b.name)
    t.equal(r.json.code, b.code, b.name)
    t.match(r.json.msg, b.msg, b.name)
    t.equal(calls.length, 0, `${b.name}: handler not called`)
    t.equal(r.hostMade, 0, `${b.name}: no host`)
    t.equal(r.stdout.trim().split('\n').length, 1, `${b.name}: one line`)
  }
})

t.test('errors thrown by handlers: CniError kept (code 7), others 999; the cniVersion is the request version; no stack on stdout', async (t) => {
  const r7 = await call(fakePlugin(invalidConfig('mtu must be a number')).plugin, { ...ENV, CNI_COMMAND: 'ADD' }, { cniVersion: '1.0.0', name: 'n' })
  t.equal(r7.code, 1)
  t.strictSame(r7.json, { cniVersion: '1.0.0', code: 7, msg: 'invalid network config', details: 'mtu must be a number' })
  const r999 = await call(fakePlugin(new TypeError('x is undefined')).plugin, { ...ENV, CNI_COMMAND: 'DEL' }, { cniVersion: '1.1.0', name: 'n' })
  t.strictSame(r999.json, { cniVersion: '1.1.0', code: 999, msg: 'x is undefined' })
  t.notMatch(r999.stdout, /\n\s+at /)
  t.equal(r999.stderr, '', 'no stack on stderr either unless asked')
  const dbg = await call(fakePlugin(new TypeError('boom')).plugin, { ...ENV, CNI_COMMAND: 'DEL', CNI_CHAIN_DEBUG: '1' }, { cniVersion: '1.1.0', name: 'n' })
  t.match(dbg.stderr, /TypeError: boom\n\s+at /)
  t.notMatch(dbg.stdout, /\n\s+at /)
})

t.test('a result that cannot be rendered in the request version is an error', async (t) => {
  const plugin: PluginDefinition = { type: 'x', versions: ['0.2.0', ...SUPPORTED_VERSIONS], about: '', add: async () => ({ cniVersion: '1.1.0', interfaces: [{ name: 'eth0' }] }) }
  const r = await call(plugin, { ...ENV, CNI_COMMAND: 'ADD' }, { cniVersion: '0.2.0', name: 'n' })
  t.equal(r.code, 1)
  t.strictSame(r.json, { cniVersion: '0.2.0', code: 1, msg: 'cannot convert: no valid IP addresses', details: 'result version 0.2.0 needs an IP address' })
})

t.test('a stdin read failure is code 5', async (t) => {
  const { plugin } = fakePlugin()
  const out = { stdout: '' }
  const io: PluginIO = { env: { ...ENV, CNI_COMMAND: 'ADD' }, readStdin: async () => { throw new Error('EIO') }, stdout: (s) => void (out.stdout += s), stderr: () => {} }
  t.equal(await runPlugin(plugin, io, createFakeHost), 1)
  t.match(JSON.parse(out.stdout), { code: 5, msg: 'error reading from stdin', details: 'EIO' })
})

t.test('stdin nested 100,000 deep: code 6, not 999 "Maximum call stack size exceeded"', async (t) => {
  for (const deep of ['['.repeat(100_000) + ']'.repeat(100_000), `{"cniVersion":"1.1.0","name":"n","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`]) {
    const { plugin, calls } = fakePlugin()
    const r = await call(plugin, { ...ENV, CNI_COMMAND: 'ADD' }, deep)
    t.equal(r.code, 1)
    t.match(r.json, { code: 6, msg: 'error unmarshaling network config', details: /nested deeper than 256 levels/ })
    t.same([calls.length, r.hostMade], [0, 0])
  }
})

t.test('traversal in CNI_CONTAINERID / CNI_IFNAME / the network name: 4 / 4 / 7, handler never called', async (t) => {
  const cases: [Record<string, string>, unknown, number, string][] = [
    [{ CNI_CONTAINERID: 'a/../../../victim/y' }, { cniVersion: '1.1.0', name: 'n' }, 4, 'invalid CNI_CONTAINERID'],
    [{ CNI_IFNAME: '/../../../victim/x' }, { cniVersion: '1.1.0', name: 'n' }, 4, 'invalid CNI_IFNAME'],
    [{ CNI_IFNAME: '..' }, { cniVersion: '1.1.0', name: 'n' }, 4, 'invalid CNI_IFNAME'],
    [{}, { cniVersion: '1.1.0', name: 'pod1/../../../elsewhere/net' }, 7, 'invalid characters found in network name'],
  ]
  for (const verb of ['ADD', 'DEL', 'CHECK']) {
    for (const [env, stdin, code, msg] of cases) {
      const { plugin, calls } = fakePlugin()
      const r = await call(plugin, { ...ENV, CNI_COMMAND: verb, ...env }, stdin)
      t.match(r.json, { code, msg }, `${verb} ${JSON.stringify(env)}`)
      t.same([calls.length, r.hostMade], [0, 0])
    }
  }
})

t.test('CNI_NETNS that is not a namespace: code 4 naming it on ADD and CHECK, before the host; DEL is not checked', async (t) => {
  const asked: string[] = []
  const withNetnsCheck = async (verb: string) => {
    const { plugin, calls } = fakePlugin()
    const { io, out } = fakeIO({ ...ENV, CNI_COMMAND: verb, CNI_NETNS: '/tmp/plain-file' }, JSON.stringify({ cniVersion: '1.1.0', name: 'n' }))
    io.inspectNetns = async (p) => {
      asked.push(p)
      return `${JSON.stringify(p)} is not a network namespace (not a namespace file)`
    }
    let hostMade = 0
    const code = await runPlugin(plugin, io, () => {
      hostMade++
      return createFakeHost()
    })
    return { code, json: out.stdout ? JSON.parse(out.stdout) : undefined, calls: calls.length, hostMade }
  }
  for (const verb of ['ADD', 'CHECK']) {
    const r = await withNetnsCheck(verb)
    t.equal(r.code, 1)
    t.strictSame(r.json, { cniVersion: '1.1.0', code: 4, msg: 'invalid CNI_NETNS', details: '"/tmp/plain-file" is not a network namespace (not a namespace file)' }, verb)
    t.same([r.calls, r.hostMade], [0, 0])
  }
  const del = await withNetnsCheck('DEL')
  t.equal(del.code, 0, 'DEL must complete when the namespace is gone')
  t.same(asked, ['/tmp/plain-file', '/tmp/plain-file'])
})
