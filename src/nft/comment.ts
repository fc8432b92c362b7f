// Owner fields in nft rule comments (portmap and firewall). A comment is the only per-rule metadata
// nft 1.0.6 keeps, and `nft list ruleset` prints it inside double quotes: CNI_IFNAME may hold `"`,
// `;` or `#` (libcni allows them), which raw would end the string, and a text save and restore
// would read the rest as statements. So every field is percent-encoded to [A-Za-z0-9._-] and %XX,
// and a comment is cut to nft's 128 bytes without splitting an escape.

/** nft's limit on a rule comment, in bytes. */
export const COMMENT_MAX = 128

/** encodeField percent-encodes every byte outside [A-Za-z0-9._-] (UTF-8), "%" included. */
export const encodeField = (s: string): string =>
  [...Buffer.from(s, 'utf8')].map((b) => {
    const c = String.fromCharCode(b)
    return /[A-Za-z0-9._-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')

/** decodeField reverses encodeField; a malformed escape is kept as it is. */
export const decodeField = (s: string): string => {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3)
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(...Buffer.from(s[i] as string, 'utf8'))
  }
  return Buffer.from(bytes).toString('utf8')
}

/** cutComment cuts an ASCII comment (encoded fields) to COMMENT_MAX, never leaving half an escape. */
export const cutComment = (full: string): string =>
  full.length <= COMMENT_MAX ? full : full.slice(0, COMMENT_MAX).replace(/%[0-9A-F]?$/, '')
