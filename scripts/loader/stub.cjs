// The start-up stub every binary in bin/ is (scripts/build.mjs bundles it with code-cache.cjs).
// It runs the esbuild bundle `.code/<name>.cjs` next to it with V8's code cache
// `.code/<name>.cache`, so Node deserializes compiled functions instead of compiling ~0.5 MB of
// JavaScript on every plugin call. The cache is used only when its header names this bundle's
// sha256, this Node version and architecture (V8 re-checks its version and flags); a missing,
// stale or rejected cache costs only the compile it would have saved. The stub writes nothing.
// <name> is this file's name without `.cjs`: bin/tuning and <bindir>/.cni-chain/tuning.cjs alike.
// A plugin asked VERSION runs `.code/version.cjs` instead (src/skel/version-main.ts: the same
// answer from a 16 KB bundle, ~15 ms sooner), when it is there; the CLI never does.
'use strict'
const { existsSync, readFileSync } = require('node:fs')
const { basename, join } = require('node:path')

const name = basename(__filename, '.cjs')
const versionOnly = join(__dirname, '.code', 'version.cjs')
if (process.env.CNI_COMMAND === 'VERSION' && name !== 'cni-chain' && existsSync(versionOnly)) {
  require(versionOnly)
} else {
  // loaded here, not above: node:crypto (the cache header's sha256) is not needed for VERSION
  const { cacheHeader, compile, readCache, run } = require('./code-cache.cjs')
  const bundle = join(__dirname, '.code', `${name}.cjs`)
  let script
  try {
    const source = readFileSync(bundle, 'utf8')
    script = compile(bundle, source, readCache(bundle.replace(/\.cjs$/, '.cache'), cacheHeader(source)))
  } catch (err) {
    brokenInstall(`${bundle}: ${err.code ?? err.message}`) // missing, unreadable, or cut short (a SyntaxError)
  }
  if (script !== undefined) run(script, bundle)
}

/**
 * brokenInstall answers a plugin call whose bundle cannot be read (a removed or half-copied
 * install) with a CNI error on stdout, as every other failure, not with Node's stack trace.
 */
function brokenInstall(details) {
  if (name === 'cni-chain') {
    process.stderr.write(`cni-chain: broken installation: ${details}\n`)
  } else {
    process.stdout.write(`${JSON.stringify({ cniVersion: '1.1.0', code: 999, msg: `cni-chain ${name}: broken installation`, details })}\n`)
  }
  process.exitCode = 1
}
