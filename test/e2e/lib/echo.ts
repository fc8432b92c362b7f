// Echo servers (socat) and token round trips. Servers listen dual-stack (IPv6 socket with
// ipv6only=0) so one server answers IPv4 and IPv6 clients; each connection/datagram is handled
// by a forked `cat`. -T closes idle children, so nothing piles up.
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { track, untrack } from './leftovers.js'
import { execa } from 'execa'
import { childEnv, inNetns, killGroup, run, sleep, spawnBackground } from './proc.js'
import type { Netns } from './types.js'

const checkPort = (port: number): void => {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`)
}

/** isListening asks `ss` in ns whether something listens on port (tcp or udp). */
const isListening = async (ns: Netns, proto: 'tcp' | 'udp', port: number): Promise<boolean> => {
  const r = await run(ns, 'ss', [proto === 'tcp' ? '-Hltn' : '-Hlun', 'sport', '=', `:${port}`], { timeoutMs: 5000 })
  return r.exitCode === 0 && r.stdout.trim() !== ''
}

const startEcho = async (t: Test, ns: Netns, proto: 'tcp' | 'udp', port: number): Promise<void> => {
  checkPort(port)
  const listen = proto === 'tcp'
    ? `TCP6-LISTEN:${port},ipv6only=0,fork,reuseaddr`
    : `UDP6-RECVFROM:${port},ipv6only=0,fork,reuseaddr`
  const child = spawnBackground(ns, 'socat', ['-T', '5', listen, 'EXEC:/bin/cat'])
  const pid = child.pid
  if (pid === undefined) throw new Error(`socat did not start in ${ns.name}`)
  track.group(pid)
  t.teardown(async () => {
    killGroup(pid)
    await child
    untrack.group(pid)
  })
  // bounded wait: at most 100 polls / ~5 s
  const deadline = Date.now() + 5000
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    if (child.exitCode !== null && child.exitCode !== undefined) break
    if (await isListening(ns, proto, port)) return
    await sleep(50)
  }
  killGroup(pid)
  const r = await child
  throw new Error(`${proto} echo server on port ${port} in ${ns.name} did not listen: ${String(r.stderr ?? '').trim()}`)
}

/** startTcpEcho starts a TCP echo server in ns on port; returns once it listens; killed in teardown. */
export const startTcpEcho = (t: Test, ns: Netns, port: number): Promise<void> => startEcho(t, ns, 'tcp', port)

/** startUdpEcho starts a UDP echo server in ns on port; returns once it listens; killed in teardown. */
export const startUdpEcho = (t: Test, ns: Netns, port: number): Promise<void> => startEcho(t, ns, 'udp', port)

/** socat address syntax needs brackets around IPv6 literals. */
const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)

const roundTrip = async (from: Netns | undefined, proto: 'TCP' | 'UDP', host: string, port: number, timeoutMs: number): Promise<boolean> => {
  checkPort(port)
  const token = `cc-${randomBytes(8).toString('hex')}`
  const secs = Math.max(timeoutMs / 1000, 0.2).toFixed(1)
  const target = proto === 'TCP'
    ? `TCP:${hostPort(host, port)},connect-timeout=${secs}`
    : `UDP:${hostPort(host, port)}`
  // -t: after our input ends, wait this long for the echo; -T: give up on silence.
  // Resolve as soon as the token is back (UDP never signals an end, so do not wait for -t).
  const [file, argv] = inNetns(from, 'socat', ['-t', secs, '-T', secs, 'STDIO', target])
  const child = execa(file, argv, {
    reject: false, env: childEnv(), extendEnv: false, input: `${token}\n`, timeout: timeoutMs + 2000, buffer: false,
  })
  let seen = ''
  const echoed = new Promise<boolean>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-256)
      if (seen.includes(token)) resolve(true)
    })
    void child.then(() => resolve(seen.includes(token)))
  })
  const ok = await echoed
  child.kill('SIGKILL')
  await child
  return ok
}

/**
 * tcpRoundTrip connects from `from` (undefined: this namespace) to host:port, sends a random
 * token and resolves true when the same token comes back within timeoutMs (default 3000).
 */
export const tcpRoundTrip = (from: Netns | undefined, host: string, port: number, timeoutMs = 3000): Promise<boolean> =>
  roundTrip(from, 'TCP', host, port, timeoutMs)

/** udpRoundTrip sends one datagram with a random token and resolves true when it is echoed back. */
export const udpRoundTrip = (from: Netns | undefined, host: string, port: number, timeoutMs = 3000): Promise<boolean> =>
  roundTrip(from, 'UDP', host, port, timeoutMs)
