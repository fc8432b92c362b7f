import t from 'tap'
import { createFakeHost, type FakeHost } from '../../../src/host/fake.js'
import { applyPlan, groupSteps, runPlan } from '../../../src/plan/apply.js'
import { appliedBeforeFailure, failedInGroup } from '../../../src/plan/applied.js'
import { HostError } from '../../../src/host/types.js'
import { CniError } from '../../../src/cni/errors.js'
import { RollbackIncompleteError, describeStep, undoFailuresOf, withUndoFailures } from '../../../src/plan/undo.js'
import type { PlannedStep } from '../../../src/plan/types.js'

const P = '/run/netns/pod'
const ip = (args: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({ kind: 'ip', netns: P, args: args.split(' '), ...extra } as PlannedStep)
const tc = (args: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({ kind: 'tc', args: args.split(' '), ...extra } as PlannedStep)
const sysctl = (key: string, value: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({ kind: 'sysctl', netns: P, key, value, ...extra } as PlannedStep)
const nft = (name: string, extra: Partial<PlannedStep> = {}): PlannedStep => ({ kind: 'nft', batch: [{ add: { table: { family: 'inet', name } } }], ...extra } as PlannedStep)

// The calls as "tool netns args", for comparing sequences.
const trace = (h: FakeHost): string[] => h.calls.map((c) => {
  if (c.tool === 'nft') return `nft ${JSON.stringify(c.args)}`
  return `${c.tool}${c.netns ? `@${c.netns}` : ''} ${(c.args as unknown[]).join(' ')}`
})

t.test('grouping: consecutive ip/tc/sysctl steps of one netns and policy share a process; nft never groups', async (t) => {
  const steps = [ip('link set eth0 mtu 1400'), ip('link set eth0 up'), sysctl('net/a', '1'), sysctl('net/b', '2'),
    ip('link set eth0 down', { ignoreFailure: true }), ip('x', { netns: '/other' }), tc('qdisc add'), tc('qdisc add2'), nft('a'), nft('b')]
  t.strictSame(groupSteps(steps).map((g) => g.length), [2, 2, 1, 1, 2, 1, 1])
})

t.test('a grouped plan reaches the host as one call per group, in order', async (t) => {
  const h = createFakeHost()
  const runs: string[] = []
  const origIp = h.ip.run
  h.ip.run = async (cmds, netns, opts) => { runs.push(`ip x${cmds.length}`); return origIp(cmds, netns, opts) }
  const origSysctl = h.sysctl.write
  h.sysctl.write = async (e, netns) => { runs.push(`sysctl x${e.length}`); return origSysctl(e, netns) }
  await applyPlan({ steps: [ip('link set a up'), ip('link set b up'), sysctl('net/a', '1'), sysctl('net/b', '2'), nft('t')] }, h)
  t.strictSame(runs, ['ip x2', 'sysctl x2'])
  t.strictSame(trace(h), [`ip@${P} link set a up`, `ip@${P} link set b up`, `sysctl@${P} net/a 1`, `sysctl@${P} net/b 2`,
    'nft [{"add":{"table":{"family":"inet","name":"t"}}}]'])
  t.equal(h.sysctls.get(`${P}|net/b`), '2')
})

t.test('failure: the undo steps of everything applied run in reverse, then the error is rethrown', async (t) => {
  const h = createFakeHost()
  h.failures.set('nft -j -f', 'Error: Could not process rule: File exists')
  const plan = {
    steps: [
      sysctl('net/a', '1', { undo: [{ kind: 'sysctl', netns: P, key: 'net/a', value: '0' }] }),
      ip('link set eth0 mtu 1400', { undo: [{ kind: 'ip', netns: P, args: ['link', 'set', 'eth0', 'mtu', '1500'] }] }),
      ip('link set eth0 up', { undo: [{ kind: 'ip', netns: P, args: ['link', 'set', 'eth0', 'down'] }] }),
      tc('qdisc add dev eth0 root tbf', { undo: [{ kind: 'tc', args: ['qdisc', 'del', 'dev', 'eth0', 'root'] }] }),
      nft('t', { undo: [{ kind: 'nft', batch: [{ delete: { table: { family: 'inet', name: 't' } } }] }] }),
      ip('never run'),
    ],
  }
  await t.rejects(applyPlan(plan, h), { name: 'HostError', message: /File exists/ })
  t.strictSame(trace(h), [
    `sysctl@${P} net/a 1`,
    `ip@${P} link set eth0 mtu 1400`,
    `ip@${P} link set eth0 up`,
    'tc qdisc add dev eth0 root tbf',
    'nft [{"add":{"table":{"family":"inet","name":"t"}}}]',
    // rollback: the failed nft transaction applied nothing, so its undo does not run
    'tc qdisc del dev eth0 root',
    `ip@${P} link set eth0 down`,
    `ip@${P} link set eth0 mtu 1500`,
    `sysctl@${P} net/a 0`,
  ])
  t.equal(h.sysctls.get(`${P}|net/a`), '0')
})

t.test('a batch that fails midway undoes only the lines before the failing one', async (t) => {
  const h = createFakeHost()
  h.failures.set(`ip link add b@${P}`, 'RTNETLINK answers: File exists')
  const undo = (name: string): PlannedStep['undo'] => [{ kind: 'ip', netns: P, args: ['link', 'del', name] }]
  await t.rejects(applyPlan({ steps: [ip('link add a', { undo: undo('a') }), ip('link add b', { undo: undo('b') }), ip('link add c', { undo: undo('c') })] }, h),
    { message: /File exists\nCommand failed -:2/ })
  // b existed before (not ours): it must not be deleted; c never ran
  t.strictSame(trace(h), [`ip@${P} link add a`, `ip@${P} link add b`, `ip@${P} link del a`])
})

t.test('appliedBeforeFailure per kind', async (t) => {
  const g = [ip('a'), ip('b'), ip('c')]
  t.strictSame(appliedBeforeFailure(g, new HostError('ip', [], 'x\nCommand failed -:3')), g.slice(0, 2))
  t.strictSame(appliedBeforeFailure(g, new Error('no line')), [], 'unknown line: undo nothing but set-backs (none here)')
  t.strictSame(appliedBeforeFailure([ip('a')], new HostError('ip', [], 'x')), [])
  const s = [sysctl('net/a', '1'), sysctl('net/b', '1')]
  t.strictSame(appliedBeforeFailure(s, new Error('x')), s, 'sysctl -w continues past a bad key')
  t.strictSame(appliedBeforeFailure([nft('t')], new Error('x')), [], 'nft is atomic')
})

// Found by the e2e fuzz (seed 946975859): `ip -batch` exits at once on an argument it cannot
// parse (txqueuelen 4294967295), naming no line, after the MAC line had run; nothing was undone.
t.test('a batch that exits naming no line: the link-set lines that only set something back count as applied', async (t) => {
  const setBack = (attr: string, old: string): PlannedStep['undo'] => [{ kind: 'ip', netns: P, args: ['link', 'set', 'dev', 'eth0', attr, old] }]
  const mac = ip('link set dev eth0 address c2:11:22:33:44:55', { undo: setBack('address', 'aa:bb:cc:dd:ee:ff') })
  const add = ip('link add x type veth', { undo: [{ kind: 'ip', netns: P, args: ['link', 'del', 'x'] }] })
  const qlen = ip('link set dev eth0 txqueuelen 4294967295', { undo: setBack('txqueuelen', '1000') })
  const noUndo = ip('link set dev eth0 up')
  const err = new HostError('ip', ['-batch', '-'], 'Error: argument "4294967295" is wrong: Invalid "txqueuelen" value')
  t.strictSame(appliedBeforeFailure([mac, add, qlen, noUndo], err), [mac, qlen],
    'the set-backs; not the link add (it may never have run, and x may be another\'s), not a step without undo')
})

t.test('ignoreFailure: a failing best-effort group does not stop the plan, and all its lines run (-force)', async (t) => {
  const h = createFakeHost()
  h.failures.set(`ip link del a@${P}`, 'Cannot find device "a"')
  let forced: boolean | undefined
  const orig = h.ip.run
  h.ip.run = async (cmds, netns, opts) => { forced = opts?.continueOnError; return orig(cmds, netns, opts) }
  await applyPlan({ steps: [ip('link del a', { ignoreFailure: true }), ip('link del b', { ignoreFailure: true }), nft('after')] }, h)
  t.equal(forced, true)
  t.strictSame(trace(h), [`ip@${P} link del a`, `ip@${P} link del b`, 'nft [{"add":{"table":{"family":"inet","name":"after"}}}]'])
})

t.test('a failing step without ignoreFailure after ignored ones still rolls back and throws', async (t) => {
  const h = createFakeHost()
  h.failures.set('tc qdisc add', 'RTNETLINK answers: Invalid argument')
  await t.rejects(applyPlan({ steps: [
    { kind: 'write-file', path: '/s/f', content: 'x', mode: 0o600, undo: [{ kind: 'remove-file', path: '/s/f' }] },
    ip('link del gone', { ignoreFailure: true }),
    tc('qdisc add dev eth0 root'),
  ] }, h), { message: /Invalid argument/ })
  t.strictSame(trace(h), ['files write /s/f', `ip@${P} link del gone`, 'tc qdisc add dev eth0 root', 'files remove /s/f'])
  t.equal(h.files.contents.size, 0)
})

t.test('undo failures are not swallowed: the original error carries them in its details and as a list', async (t) => {
  const h = createFakeHost()
  h.failures.set(`sysctl net/b@${P}`, 'permission denied')
  h.failures.set(`sysctl net/a@${P}`, 'undo fails too')
  const err = await applyPlan({ steps: [
    { kind: 'conntrack-delete', family: 'ipv4', protocol: 'udp', port: 53 },
    sysctl('net/b', '1', { undo: [{ kind: 'sysctl', netns: P, key: 'net/a', value: '0' }] }),
  ] }, h).then(() => undefined, (e: unknown) => e)
  t.type(err, RollbackIncompleteError)
  const e = err as RollbackIncompleteError
  t.same([e.code, e.msg], [999, 'sysctl net/b: permission denied'], 'the original error, as code 999')
  t.equal(e.details, `rollback incomplete, 1 undo(s) failed, still on the host: sysctl net/a=0 (in ${P}): sysctl net/a: undo fails too`)
  t.same(e.undoFailures, [{ what: `sysctl net/a=0 (in ${P})`, error: 'sysctl net/a: undo fails too', step: { kind: 'sysctl', netns: P, key: 'net/a', value: '0' } }])
  t.type(e.cause, HostError, 'the original error stays reachable')
  t.same(e.toJSON('1.1.0'), { cniVersion: '1.1.0', code: 999, msg: 'sysctl net/b: permission denied', details: e.details })
})

t.test('a CniError keeps its code and details; the undo failures follow its details', async (t) => {
  const h = createFakeHost()
  const undo = (n: string) => [{ kind: 'nft' as const, batch: [{ delete: { table: { family: 'inet', name: n } } }] }]
  // x and y apply, z fails with a CniError, and both undos fail
  const apply = h.nft.apply
  let n = 0
  h.nft.apply = async (batch) => {
    await apply(batch)
    if (++n < 3) return
    if (n === 3) throw new CniError(11, 'try again', 'busy table')
    throw new Error('Error: Could not process rule: No such file or directory\ndelete table inet x')
  }
  const err = await applyPlan({ steps: [nft('x', { undo: undo('x') }), nft('y', { undo: undo('y') }), nft('z')] }, h).then(() => undefined, (e: unknown) => e)
  t.type(err, RollbackIncompleteError)
  const e = err as RollbackIncompleteError
  t.same([e.code, e.msg], [11, 'try again'])
  t.equal(e.details, 'busy table; rollback incomplete, 2 undo(s) failed, still on the host: ' +
    'nft {"nftables":[{"delete":{"table":{"family":"inet","name":"y"}}}]}: Error: Could not process rule: No such file or directory; ' +
    'nft {"nftables":[{"delete":{"table":{"family":"inet","name":"x"}}}]}: Error: Could not process rule: No such file or directory')
  t.same(e.undoFailures.map((f) => f.what.match(/"name":"(\w)"/)?.[1]), ['y', 'x'], 'in undo order')
})

t.test('withUndoFailures: unchanged without failures, accumulates on a second rollback', async (t) => {
  const orig = new HostError('ip', ['x'], 'RTNETLINK answers: File exists')
  t.equal(withUndoFailures(orig, []), orig)
  const once = withUndoFailures(orig, [{ what: 'a', error: 'e1' }]) as RollbackIncompleteError
  const twice = withUndoFailures(once, [{ what: 'b', error: 'e2' }]) as RollbackIncompleteError
  t.equal(twice.cause, orig)
  t.same(twice.undoFailures.map((f) => f.what), ['a', 'b'])
  t.equal(twice.details, 'rollback incomplete, 2 undo(s) failed, still on the host: a: e1; b: e2')
  t.same(undoFailuresOf(orig), [])
})

t.test('describeStep names every kind', async (t) => {
  t.same([
    { kind: 'ip', netns: P, args: ['link', 'set', 'dev', 'eth0', 'mtu', '1500'] },
    { kind: 'tc', args: ['qdisc', 'del', 'dev', 'eth0', 'root'] },
    { kind: 'sysctl', key: 'net/a', value: '0' },
    { kind: 'write-file', path: '/r/f', content: 'x', mode: 0o600 },
    { kind: 'remove-file', path: '/r/f' },
    { kind: 'conntrack-delete', family: 'ipv6', protocol: 'udp', port: 53 },
    { kind: 'nft', batch: Array.from({ length: 20 }, () => ({ add: { table: { family: 'inet', name: 'long-name' } } })) },
  ].map((s) => describeStep(s as PlannedStep)), [
    `ip link set dev eth0 mtu 1500 (in ${P})`,
    'tc qdisc del dev eth0 root',
    'sysctl net/a=0',
    'write /r/f',
    'remove /r/f',
    'conntrack -D -f ipv6 -p udp --dport 53',
    `nft ${JSON.stringify({ nftables: Array.from({ length: 20 }, () => ({ add: { table: { family: 'inet', name: 'long-name' } } })) }).slice(0, 200)}…`,
  ])
})

t.test('runPlan stops at the failure, undoes nothing, and says what ran and what failed', async (t) => {
  const h = createFakeHost()
  h.failures.set(`ip link add c@${P}`, 'RTNETLINK answers: File exists')
  h.failures.set(`ip link add b@${P}`, 'Cannot find device "b"')
  // b is best effort and fails: not applied, not a failure
  const plan = { steps: [nft('t'), ip('link add a'), ip('link add b', { ignoreFailure: true }), ip('link add c'), ip('link add d'), nft('u')] }
  const run = await runPlan(plan, h)
  t.same(run.ok ? run : { ...run, error: undefined }, { ok: false, applied: [0, 1], warnings: [], failed: [3], error: undefined })
  t.same(trace(h), ['nft [{"add":{"table":{"family":"inet","name":"t"}}}]', `ip@${P} link add a`, `ip@${P} link add b`, `ip@${P} link add c`])
  t.same(await runPlan({ steps: [ip('x'), nft('t')] }, createFakeHost()), { ok: true, applied: [0, 1], warnings: [] })
})

t.test('reportFailure: a best-effort failure becomes a warning; such steps group apart; applyPlan returns notes then warnings', async (t) => {
  const h = createFakeHost()
  h.failures.set(`ip link set dev eth0 mtu 68000@${P}`, 'Error: mtu greater than device maximum.')
  h.failures.set(`ip link del gone@${P}`, 'Cannot find device "gone"')
  const report = { ignoreFailure: true, reportFailure: true }
  const steps = [ip('link del gone', { ignoreFailure: true }), ip('link set dev eth0 mtu 68000', report), ip('link set dev eth0 up', report), nft('t')]
  t.strictSame(groupSteps(steps).map((g) => g.length), [1, 2, 1], 'reported steps never share a process with unreported ones')
  const warnings = await applyPlan({ steps, notes: ['mac not restored: a note'] }, h)
  t.same(warnings, ['mac not restored: a note', `ip link set dev eth0 mtu 68000 (in ${P}) failed: ip link set dev eth0 mtu 68000: Error: mtu greater than device maximum.`])
  t.same(trace(h).slice(-2), [`ip@${P} link set dev eth0 up`, 'nft [{"add":{"table":{"family":"inet","name":"t"}}}]'], 'the rest ran')
  const run = await runPlan({ steps: [nft('a'), ip('link set dev eth0 mtu 68000', report)] }, Object.assign(createFakeHost(), {}))
  t.same(run.warnings, [], 'no failure, no warning')
})

t.test('failedInGroup: the named line(s), else the whole group', async (t) => {
  const g = [ip('a'), ip('b'), ip('c')]
  t.same(failedInGroup(g, new HostError('ip', [], 'x\nCommand failed -:2')), [1])
  t.same(failedInGroup(g, new HostError('ip', [], 'x\nCommand failed -:1\ny\nCommand failed -:3')), [0, 2], '-force names every failed line')
  t.same(failedInGroup(g, new HostError('ip', [], 'x')), [0, 1, 2])
  t.same(failedInGroup(g, new HostError('ip', [], 'Command failed -:9')), [0, 1, 2], 'a line out of range tells nothing')
  t.same(failedInGroup([sysctl('net/a', '1'), sysctl('net/b', '1')], new Error('x')), [0, 1], 'sysctl -w does not say which key')
  t.same(failedInGroup([nft('t')], new Error('x')), [0])
})

t.test('steps without undo apply in groups, in order', async (t) => {
  const h = createFakeHost()
  await applyPlan({ steps: [{ kind: 'ip', args: ['a'] }, { kind: 'ip', args: ['b'] }, { kind: 'remove-file', path: '/x' }] }, h)
  t.strictSame(trace(h), ['ip a', 'ip b', 'files remove /x'])
})
