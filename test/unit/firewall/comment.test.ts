// The firewall's owner comment is encoded as portmap's (src/nft/comment.ts): a hostile
// CNI_IFNAME (libcni allows `"`, `;`, `#`) cannot end the comment string in `nft list ruleset`
// text, and the owner reads back as it was. Before, the firewall wrote the ifname raw.
import t from 'tap'
import { ownerComment, parseOwnerComment } from '../../../meta-plugins/firewall/layout.js'
import { podRules } from '../../../meta-plugins/firewall/rules.js'

const SAFE = /^[A-Za-z0-9._%=\s-]+$/

t.test('a hostile ifname is encoded and read back', async (t) => {
  const owner = { network: 'net1', containerId: 'c1', ifname: 'x";drop#' }
  const c = ownerComment(owner, 'same-bridge')
  t.match(c, SAFE)
  t.notMatch(c, /["#;]/)
  t.same(parseOwnerComment(c), { ifname: 'x";drop#', policy: 'same-bridge', network: 'net1', containerId: 'c1' })
  const rules = podRules({ v4: ['10.0.0.2'], v6: [] }, 'open', undefined, 0x1000, owner)
  for (const r of rules) if (r.comment !== undefined) t.match(r.comment, SAFE, 'every rule comment of the attachment chain')
})

t.test('ordinary names are unchanged; a long comment is cut to 128 bytes without half an escape', async (t) => {
  t.equal(ownerComment({ network: 'testnet', containerId: 'ctr1', ifname: 'eth0' }, 'open'), 'if=eth0 pol=open net=testnet cid=ctr1')
  for (let pad = 60; pad < 110; pad++) {
    const c = ownerComment({ network: 'n', containerId: `${'a'.repeat(pad)}${'"'.repeat(40)}`, ifname: 'eth0' }, 'isolated')
    t.ok(Buffer.byteLength(c) <= 128)
    t.notMatch(c, /%[0-9A-F]?$/)
    t.equal(parseOwnerComment(c).ifname, 'eth0')
  }
})
