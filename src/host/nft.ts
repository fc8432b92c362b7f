// The real nft seam: one JSON batch = one `nft -j -f FILE` transaction; reads with `nft -j list`.
import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NftCommand, NftObject } from '../nft/types.js'
import { runTool } from './exec.js'
import { isNotFound, type NftHost } from './types.js'

// nft 1.0.6 opens `-f -` as the path /dev/stdin, which fails on Node's socket stdin: the batch goes
// through a 0600 file in a private directory instead (one per process, removed on exit).
let batchDir: string | undefined
const privateBatchFile = async (): Promise<string> => {
  if (!batchDir) {
    batchDir = await mkdtemp(join(tmpdir(), 'cni-chain-nft-'))
    const dir = batchDir
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true })
    })
  }
  return join(batchDir, `batch-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
}

/** realNft runs the nft binary. */
export const realNft: NftHost = {
  apply: async (batch: NftCommand[]) => {
    if (batch.length === 0) return
    const file = await privateBatchFile()
    await writeFile(file, JSON.stringify({ nftables: batch }), { mode: 0o600 })
    try {
      await runTool('nft', ['-j', '-f', file])
    } finally {
      await rm(file, { force: true })
    }
  },
  list: async (args: string[]) => {
    try {
      const { stdout } = await runTool('nft', ['-j', 'list', ...args])
      const parsed = JSON.parse(stdout) as { nftables: NftObject[] }
      return parsed.nftables.filter((o) => !('metainfo' in o))
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  },
}
