// Owner comments survive any CNI_IFNAME libcni allows: fields are percent-encoded to a safe
// alphabet, parsed back, and never cut in the middle of an escape.
import t from 'tap'
import { decodeField, encodeField, ownerComment, parseOwnerComment } from '../../../meta-plugins/portmap/layout.js'

const SAFE = /^[A-Za-z0-9._%/=@:[\] -]*$/

t.test('encodeField: only [A-Za-z0-9._-] stays, everything else (% too) becomes %XX, and decodes back', async (t) => {
  for (const s of ['eth0', 'x";drop#', 'x"drop', 'a;b', '%41', 'é€', 'tab\there', 'net.v1_a-b', '{}\\\'`$']) {
    const e = encodeField(s)
    t.match(e, /^[A-Za-z0-9._%-]*$/, `${JSON.stringify(s)} → ${e}`)
    t.equal(decodeField(e), s, 'round trip')
  }
  t.equal(encodeField('x";drop#'), 'x%22%3Bdrop%23')
  t.equal(decodeField('50%zz'), '50%zz', 'a malformed escape stays as it is')
})

t.test('ownerComment: a hostile ifname cannot end the string or start a statement', async (t) => {
  const key = { protocol: 'tcp' as const, hostPort: 8080 }
  const c = ownerComment(key, { network: 'net1', containerId: 'c1', ifname: 'x";drop#' })
  t.equal(c, 'k=tcp/8080 if=x%22%3Bdrop%23 net=net1 cid=c1')
  t.match(c, SAFE)
  t.same(parseOwnerComment(c), { key, ifname: 'x";drop#', network: 'net1', containerId: 'c1' })
})

t.test('ownerComment: cut to 128 bytes without splitting an escape; the key always survives', async (t) => {
  const key = { protocol: 'udp' as const, hostPort: 53, hostIP: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', hostFamily: 6 as const }
  for (let pad = 0; pad < 4; pad++) {
    const c = ownerComment(key, { network: 'n', containerId: `${'a'.repeat(pad)}${'"'.repeat(60)}`, ifname: 'eth0' })
    t.ok(c.length <= 128, `pad ${pad}: ${c.length} bytes`)
    t.notMatch(c, /%[0-9A-F]?$/, 'no half escape at the end')
    t.match(c, SAFE)
    t.same(parseOwnerComment(c).key, key)
  }
  const long = parseOwnerComment(ownerComment(key, { network: 'n'.repeat(100), containerId: 'c', ifname: 'eth;0' }))
  t.same(long, { key, ifname: 'eth;0' }, 'a cut network is not reported')
})

t.test('comments written by v1 (raw fields) still parse', async (t) => {
  t.same(parseOwnerComment('k=tcp/8080 if=eth0 net=testnet cid=ctr1'), { key: { protocol: 'tcp', hostPort: 8080 }, ifname: 'eth0', network: 'testnet', containerId: 'ctr1' })
})
