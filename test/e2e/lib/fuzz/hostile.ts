// The hostile values the fuzz generator draws from. Values that must never be generated: a valid
// absolute directory for dataDir/stateDir (or null/"", which mean "the default under /run/cni"),
// a namespace path of the machine or of the node (the plugins would change them), and plugin
// types that name real delegate binaries (they would create links).

/** RAW marks a string the serializer replaces by its text as-is (numbers JSON.stringify cannot write). */
export const raw = (text: string): string => `\u0001RAW:${text}\u0001`

/** serialize writes conf as JSON and puts the raw tokens in. */
export const serialize = (conf: unknown): string =>
  JSON.stringify(conf).replace(/"\\u0001RAW:((?:[^\\"]|\\.)*?)\\u0001"/g, (_, text: string) => JSON.parse(`"${text}"`) as string)

const LONG = 'x'.repeat(5000)

/** Strings that break naive handling: paths, quotes, shell and nft syntax, control characters, size. */
export const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '../', '../../etc/passwd', '/etc/passwd', 'a/b', '..', '.', '"', "'", '\\', ';', 'a;b', '$(id)', '`id`', '\n', 'a\nb',
  '\r\n', 'a\u0000b', '%s%n%x', '{', '}', '*', '-', '--help', '-x', LONG, `${LONG}/${LONG}`, '__proto__', 'constructor', 'prototype',
  'toString', 'hasOwnProperty', '\u202egnp.exe', 'é', '😀', '\ud800', '0x10', '1e309', 'NaN', 'null', 'true', '<script>', 'eth0 ',
  ' eth0', 'eth0:1', 'lo', '@', '#', '{"a":1}', '[1]', 'drop', 'accept; flush ruleset', '} ; flush ruleset ; {', 'table ip x',
  '\t', '\u00a0', '\\"; drop',
]

/** Numbers (and number-like JSON text) around every limit a plugin has. */
export const HOSTILE_NUMBERS: readonly unknown[] = [
  -1, 0, 1, 7, 8, 67, 68, 255, 256, 1500, 65535, 65536, 70000, -65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53, -(2 ** 53),
  1e308, 1.5, 0.1, -0.5, 4294967295, 34359738359, raw('1e400'), raw('-1e400'), raw('-0'), raw('123456789012345678901234567890'),
  raw('1E2'), raw('0.0000000000000000000001'), raw('9007199254740993'),
]

/** Wrong-typed values for any field. */
export const WRONG_TYPES: readonly unknown[] = [null, true, false, 0, -1, '', 'str', [], {}, [[]], { a: 1 }, [1, 2], ['x'], [{}], LONG]

/** Values that are anything: strings, numbers, wrong types. */
export const ANY_HOSTILE: readonly unknown[] = [...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, ...WRONG_TYPES]

/** Interface names the kernel or libcni's rules refuse (so a call with them must fail). */
export const BAD_IFNAMES: readonly string[] = [
  '../eth0', 'a/b', 'eth0:1', 'a b', 'eth0\n', '.', '..', 'x'.repeat(16), LONG, 'ab\tc', 'é'.repeat(8), '\u0000', 'eth0 ',
]

/** Interface names that are well-formed but name no interface in the pod. */
export const ODD_IFNAMES: readonly string[] = ['lo', 'eth1', 'x'.repeat(15), 'a.b', 'lo0', 'A-B_c', '-', 'eth0.100', '😀', '%d', 'eth*']

/** Container ids libcni refuses. */
export const BAD_CONTAINER_IDS: readonly string[] = [
  '../x', 'a/b', '-x', '.x', '_x', 'a b', 'a;b', 'a\nb', '"', "'", '$(id)', '*', 'é', '😀', `${'y'.repeat(4000)}/`, 'a:b', 'a\u0000b',
]

/** Container ids that are well-formed but odd (the call may succeed; nothing may leak). */
export const ODD_CONTAINER_IDS = (marker: string, n: number): string[] => [
  `${marker}${n}${'z'.repeat(300)}`, `${marker}${n}..x`, `${marker}${n}.json`, `${marker}${n}_eth0`, `${marker}${n}-..-`,
]

/** Network names libcni refuses. */
export const BAD_NETWORK_NAMES: readonly string[] = ['../x', 'a/b', '-x', '.x', 'a b', 'a;b', 'a\nb', '"x"', 'é', '', ' ', 'a:b', '*']

/** CNI_NETNS values that are not a network namespace (never the machine's or the node's own). */
export const BAD_NETNS: readonly string[] = [
  '/nonexistent/netns', 'relative/netns', '../../etc/passwd', '/etc/hostname', '/dev/null', '/tmp', '/run/netns/', '/run/netns/..',
  '/run/netns/../../etc/passwd', '/proc/nonexistent/ns/net', 'a\nb', LONG, '/run/netns/cc-missing-ns', '-', '--help',
]

/** cniVersion values no plugin supports (or no valid type). */
export const BAD_VERSIONS: readonly unknown[] = [
  '', '1.0', '1', '0.2.0', '0.1.0', '2.0.0', '1.0.0 ', 'v1.0.0', '1.0.0\n', '01.0.0', '1.0.0.0', '1.2.0', '9999999999999999999.0.0',
  '1.0.0-rc1', '..', 1, 1.1, null, true, [], {}, ['1.0.0'],
]

export const BAD_CIDRS: readonly string[] = [
  '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '/24', '10.0.0.256/24', '::/129', 'fe80::1%eth0/64', '1.2.3.4/24/5', 'abc', ' 10.0.0.0/24',
  '10.0.0.0/24\n', '10.0.0.0/1e1', '10.0.0.0/0x10', '1.2.3.4/', '', '::ffff:1.2.3.4/200', '10.0.0.0/24; drop',
]

export const BAD_IPS: readonly string[] = [
  '1.2.3', '1.2.3.4.5', '01.02.03.04', 'fe80::1%eth0', '1.2.3.4/32', 'localhost', '256.1.1.1', '::1', ':::', '1.2.3.4 ', '1.2.3.4\n',
  '0x7f.1', '[::]', '::1%lo',
]

/** hostIP values that are addresses but odd (may be accepted). */
export const ODD_IPS: readonly string[] = ['0.0.0.0', '::', '127.0.0.1', '255.255.255.255', '224.0.0.1', '::ffff:1.2.3.4', '169.254.1.1', '192.168.250.1']

export const BAD_PROTOCOLS: readonly unknown[] = ['icmp', 'TCPX', 'tcp ', 'tcp;udp', '', '6', 6, null, ['tcp'], 'all', 'ip', 'tcp\n', 'any']

export const BAD_SYSCTL_KEYS: readonly string[] = [
  'kernel.hostname', 'net/../../kernel/hostname', 'net.ipv4.conf.eth0.../../..', 'net..ipv4.ip_forward', 'net.ipv4.conf.eth0.forwarding\n',
  '../net/ipv4/ip_forward', '/proc/sys/net/ipv4/ip_forward', 'net', 'net.', '.net.ipv4.ip_forward', 'net.ipv4.conf.eth0.nonexistent',
  'net.ipv4.conf.IFNAME/../../../kernel.hostname', 'net.core.somaxconn; rm -rf /', 'vm.swappiness', 'fs.file-max', '',
  'net.ipv4.conf.eth0.rp_filter\u0000', 'net/ipv4/conf/eth0/../../../../kernel/hostname', `net.${'x'.repeat(4000)}`,
]

export const BAD_SYSCTL_VALUES: readonly unknown[] = ['1\n2', '', 'x'.repeat(5000), '1; rm', '-1', 1, null, true, [], {}, '1 2', '\u0000', '99999999999999999999']

/** Valid sysctls inside a pod namespace (each written and restored by tuning). */
export const POD_SYSCTLS: Readonly<Record<string, readonly string[]>> = {
  'net.ipv4.conf.eth0.arp_filter': ['0', '1'],
  'net.ipv4.conf.eth0.accept_local': ['0', '1'],
  'net.ipv4.conf.eth0.rp_filter': ['0', '1', '2'],
  'net.core.somaxconn': ['1024', '4096'],
  'net.ipv4.tcp_syncookies': ['0', '1'],
  'net.ipv6.conf.eth0.accept_ra': ['0', '2'],
}

export const BAD_MACS: readonly unknown[] = ['01:00:5e:00:00:01', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', 'zz:zz:zz:zz:zz:zz', '02:00:00:00:00', '02:00:00:00:00:00:00', '0200.0000.0001.', '', 1, []]

// never a usable absolute path (firewall accepts "/a/./b"), never null or "" (the default dir)
export const BAD_DIRS: readonly unknown[] = ['relative/dir', '../x', '/tmp/../etc', '/x/../../etc', 'a\nb', 5, [], {}, true, '/x/\u0000y', '.', './x', '/x/..']

/** prevResult values of the wrong shape. */
export const BAD_PREV_RESULTS: readonly unknown[] = [
  [], 'x', 1, true, { interfaces: 'x' }, { ips: 'x' }, { ips: [{ address: 'bad' }] }, { ips: [{ address: '10.0.0.1/24', interface: 99 }] },
  { ips: [{ address: '10.0.0.1/24', interface: -1 }] }, { ips: [{ address: '10.0.0.1/24', interface: 'x' }] }, { interfaces: [{ name: '../x' }] },
  { interfaces: [{ name: 'x'.repeat(100) }] }, { interfaces: [{ name: 'a"b' }] }, { cniVersion: '0.2.0', ip4: { ip: '10.0.0.1/24' } },
  { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1/24', gateway: 'x' }] }, { ips: [{}] }, { ips: [null] }, { interfaces: [null] },
  { ips: [{ address: '::1/200' }] }, { ips: [{ address: '10.0.0.1' }] }, { routes: 'x' }, { dns: 'x' }, { ips: [{ address: 5 }] },
  { cniVersion: 5 }, { interfaces: [{ name: 'eth0', sandbox: 5 }] }, { ips: new Array(200).fill({ address: '10.0.0.1/24' }) },
]

/** A deeply nested value (parsers with recursion limits must refuse, not crash). */
export const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`

/** Pod annotations (bandwidth reads kubernetes.io/{ingress,egress}-bandwidth). */
export const BAD_QUANTITIES: readonly unknown[] = ['-1', '1e400', 'abc', '10Mi', '99999999999999P', '', '1.5.5M', '0', '0x10M', 10, null, '10 M', '1e3M', '+5M', 'NaN']
