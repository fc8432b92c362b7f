// libnftables JSON (nft 1.0.6 dialect): the commands of a batch and the objects nft lists.
// Kept loose on purpose: expressions are plain JSON; src/nft/*.ts builders produce the shapes
// verified on nft 1.0.6 (see docs/ARCHITECTURE.md).

/** An object as written in a command or printed by `nft -j list`. */
export type NftObject = { [kind: string]: { [key: string]: unknown } }

/** One command of a batch: {add: {...}}, {delete: {...}}, {flush: {...}}, ... */
export type NftCommand = { [verb in 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'flush']?: NftObject }
