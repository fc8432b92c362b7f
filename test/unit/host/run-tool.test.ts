// runTool (src/host/exec.ts) on harmless programs: output, stdin, exit codes, start errors,
// timeouts. Every plugin effect goes through it, so its failure reporting is what users read.
import t from 'tap'
import { runTool } from '../../../src/host/exec.js'
import { HostError } from '../../../src/host/types.js'

t.test('stdout, stderr and exit code of a tool that succeeds', async (t) => {
  const r = await runTool('printf', ['%s\\n', 'a b', 'c'])
  t.same(r, { stdout: 'a b\nc\n', stderr: '', exitCode: 0 })
})

t.test('input reaches stdin (ip -batch -), and large output arrives whole', async (t) => {
  const input = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n'
  const r = await runTool('cat', [], { input })
  t.equal(r.stdout, input)
})

t.test('arguments are not interpreted by a shell', async (t) => {
  const r = await runTool('printf', ['%s', '$(echo x); `id` > /tmp/never'])
  t.equal(r.stdout, '$(echo x); `id` > /tmp/never')
})

t.test('a non-zero exit throws HostError with the tool, args and stderr', async (t) => {
  const err = await runTool('ls', ['/nonexistent-cni-chain-path']).catch((e: unknown) => e)
  t.ok(err instanceof HostError)
  const e = err as HostError
  t.equal(e.tool, 'ls')
  t.same(e.args, ['/nonexistent-cni-chain-path'])
  t.match(e.stderr, /nonexistent-cni-chain-path/)
})

t.test('okExitCodes: an expected non-zero exit is returned, not thrown', async (t) => {
  const r = await runTool('grep', ['-q', 'x'], { input: 'y\n', okExitCodes: [1] })
  t.equal(r.exitCode, 1)
})

t.test('a tool that does not exist is a HostError naming it', async (t) => {
  const err = await runTool('cni-chain-no-such-tool', ['x']).catch((e: unknown) => e)
  t.ok(err instanceof HostError)
  t.match((err as HostError).message, /cni-chain-no-such-tool x: .*ENOENT/)
})

t.test('a tool past its timeout is killed and reported', async (t) => {
  const err = await runTool('sleep', ['10'], { timeoutMs: 100 }).catch((e: unknown) => e)
  t.ok(err instanceof HostError)
  t.match((err as HostError).message, /timed out after 100 ms/)
})

t.test('a tool exiting before reading its input is reported by its exit code (no EPIPE crash)', async (t) => {
  const err = await runTool('false', [], { input: 'x'.repeat(1 << 20) }).catch((e: unknown) => e)
  t.ok(err instanceof HostError)
  t.match((err as HostError).message, /false : exited 1/)
})
