// One order for strings everywhere cni-chain sorts them (records, sysctl keys, file lists): by
// UTF-16 code units, as Array.prototype.sort does without a comparator. Never the locale's order:
// a record's bytes must not depend on the machine's LANG.

/** compareStrings orders a before b by code units (-1, 0, 1). */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** byKey orders items by the string `key` gives for each. */
export const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => compareStrings(key(a), key(b))
