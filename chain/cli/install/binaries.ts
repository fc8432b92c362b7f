// Placing the plugin binaries into a CNI bin dir: the start-up stubs as `.cni-chain/<name>.cjs`, the
// bundles and their code caches as `.cni-chain/.code/<name>.{cjs,cache}` (see scripts/loader/), optionally
// a copy of the Node binary, and a launcher under each plugin's name. Every file is replaced
// atomically and only when its bytes differ, so a second run writes nothing. A binary of the same
// name that is not ours (the reference portmap the primary CNI shipped) is kept as a hard link in
// `.cni-chain/backup/` first: uninstall puts it back.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { link, lstat, mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { tempName } from '../../../src/host/files.js'
import { copyFileAtomic, writeFileAtomic } from '../files/atomic.js'
import { CODE_DIR, LAUNCHER_MARKER, launcherText, PRIVATE_DIR, VERSION_BUNDLE } from './launcher.js'
import type { Manifest, PlacedBinary } from './manifest.js'

export interface PlaceOptions {
  /** where the built bundles are (the directory of the running cni-chain, or --source-dir) */
  sourceDir: string
  /** the bin dir as this process sees it */
  binDir: string
  /** the same dir as the runtime on the node sees it (differs when installing from a container) */
  hostBinDir: string
  /** the Node binary running now (copied when bundleNode, else named by the launchers) */
  nodePath: string
  bundleNode: boolean
  names: readonly string[]
}

export interface PlaceReport {
  /** files written (relative to the bin dir) */
  written: string[]
  /** names whose previous binary went to .cni-chain/backup */
  backedUp: string[]
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')

const fileSha256 = async (path: string): Promise<string> => {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

// copies of the Node binary found equal, by (inode, size, mtime) of both files: --watch re-checks
// often, and hashing ~100 MB twice each time would be wasted
const verifiedCopies = new Map<string, string>()

const sameNodeCopy = async (source: string, target: string): Promise<boolean> => {
  const [s, t] = await Promise.all([stat(source), stat(target).catch(() => undefined)])
  if (!t || !t.isFile() || t.size !== s.size) return false
  const signature = [s.ino, s.size, s.mtimeMs, t.ino, t.size, t.mtimeMs].join(':')
  if (verifiedCopies.get(target) === signature) return true
  const same = (await fileSha256(source)) === (await fileSha256(target))
  if (same) verifiedCopies.set(target, signature)
  return same
}

const readIfFile = async (path: string): Promise<Buffer | undefined> => {
  try {
    return (await stat(path)).isFile() ? await readFile(path) : undefined
  } catch {
    return undefined
  }
}

const exists = async (path: string): Promise<boolean> => lstat(path).then(() => true, () => false)

interface Built {
  stub: Buffer
  bundle: Buffer
  /** the V8 code cache; the stub ignores it when stale (another Node), so it is optional */
  cache: Buffer | undefined
}

/** readBundles reads every source stub and bundle first: a missing one fails the install before any write. */
const readBundles = async (sourceDir: string, names: readonly string[]): Promise<Map<string, Built>> => {
  const out = new Map<string, Built>()
  for (const name of names) {
    const stub = await readIfFile(join(sourceDir, name))
    const bundle = await readIfFile(join(sourceDir, CODE_DIR, `${name}.cjs`))
    if (!stub || !stub.subarray(0, 2).equals(Buffer.from('#!')) || !bundle) {
      throw new Error(`${join(sourceDir, name)}: no built ${name} plugin there (run npm run build, or pass --source-dir)`)
    }
    out.set(name, { stub, bundle, cache: await readIfFile(join(sourceDir, CODE_DIR, `${name}.cache`)) })
  }
  return out
}

/** placeFile writes bytes to dir/rel unless it already holds them; rel goes to `written` */
const placeFile = async (dir: string, rel: string, bytes: Buffer, written: string[]): Promise<void> => {
  if ((await readIfFile(join(dir, rel)))?.equals(bytes)) return
  await writeFileAtomic(join(dir, rel), bytes, { mode: 0o644, replaceAny: true })
  written.push(`${PRIVATE_DIR}/${rel}`)
}

// keep whatever is at `target` (a binary, a symlink) as backup/<name>: a hard link, then a rename
const backUp = async (binDir: string, name: string): Promise<void> => {
  const dir = join(binDir, PRIVATE_DIR, 'backup')
  await mkdir(dir, { recursive: true, mode: 0o755 })
  // a fresh random name: link() never follows or replaces what is there (EEXIST instead)
  const tmp = tempName(join(dir, name))
  await link(join(binDir, name), tmp)
  await rename(tmp, join(dir, name))
}

/**
 * placeBinaries installs the plugins `opts.names` and returns the manifest's new binaries list
 * with what it wrote. Nothing is written when every file already holds the right bytes.
 */
export const placeBinaries = async (opts: PlaceOptions, manifest: Manifest): Promise<{ manifest: Manifest; report: PlaceReport }> => {
  const bundles = await readBundles(opts.sourceDir, opts.names)
  const report: PlaceReport = { written: [], backedUp: [] }
  const priv = join(opts.binDir, PRIVATE_DIR)
  await mkdir(join(priv, CODE_DIR), { recursive: true, mode: 0o755 })

  let node = opts.nodePath
  if (opts.bundleNode) {
    const target = join(priv, 'node')
    if (!(await sameNodeCopy(opts.nodePath, target))) {
      await copyFileAtomic(opts.nodePath, target, { mode: 0o755, replaceAny: true })
      report.written.push(`${PRIVATE_DIR}/node`)
    }
    node = join(opts.hostBinDir, PRIVATE_DIR, 'node')
  }

  // the shared VERSION bundle before the stubs that may run it (a build without one: the stubs use the main bundle)
  const versionBundle = await readIfFile(join(opts.sourceDir, CODE_DIR, VERSION_BUNDLE))
  if (versionBundle) await placeFile(priv, `${CODE_DIR}/${VERSION_BUNDLE}`, versionBundle, report.written)
  else await rm(join(priv, CODE_DIR, VERSION_BUNDLE), { force: true })

  const binaries: PlacedBinary[] = []
  for (const name of opts.names) {
    const built = bundles.get(name)!
    // the code before the stub that runs it; a cache always follows its bundle (the stub checks the pair)
    await placeFile(priv, `${CODE_DIR}/${name}.cjs`, built.bundle, report.written)
    if (built.cache) await placeFile(priv, `${CODE_DIR}/${name}.cache`, built.cache, report.written)
    else await rm(join(priv, CODE_DIR, `${name}.cache`), { force: true })
    await placeFile(priv, `${name}.cjs`, built.stub, report.written)
    const text = launcherText(name, node, join(opts.hostBinDir, PRIVATE_DIR, `${name}.cjs`))
    const target = join(opts.binDir, name)
    const current = await readIfFile(target)
    const recorded = manifest.binaries.find((b) => b.name === name)
    let backup = recorded?.backup ?? false
    if (!current?.equals(Buffer.from(text))) {
      // a file that is neither what we wrote last time nor any cni-chain launcher is someone else's
      const ours = current !== undefined && (sha256(current) === recorded?.sha256 || current.includes(LAUNCHER_MARKER))
      if (!ours && (await exists(target))) {
        await backUp(opts.binDir, name)
        backup = true
        report.backedUp.push(name)
      }
      await writeFileAtomic(target, text, { mode: 0o755, replaceAny: true })
      report.written.push(name)
    }
    binaries.push({ name, sha256: sha256(text), backup })
  }
  const others = manifest.binaries.filter((b) => !opts.names.includes(b.name))
  return {
    manifest: { ...manifest, node, nodeBundled: opts.bundleNode, binaries: [...others, ...binaries] },
    report,
  }
}
