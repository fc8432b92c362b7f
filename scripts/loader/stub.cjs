// The start-up stub every binary in bin/ is (scripts/build.mjs bundles it with code-cache.cjs).
// It runs the esbuild bundle `.code/<name>.cjs` next to it with V8's code cache
// `.code/<name>.cache`, so Node deserializes compiled functions instead of compiling ~0.5 MB of
// JavaScript on every plugin call. The cache is used only when its header names this bundle's
// sha256, this Node version and architecture (V8 re-checks its version and flags); a missing,
// stale or rejected cache costs only the compile it would have saved. The stub writes nothing.
// <name> is this file's name without `.cjs`: bin/tuning and <bindir>/.cni-chain/tuning.cjs alike.
'use strict'
const { readFileSync } = require('node:fs')
const { basename, join } = require('node:path')
const { cacheHeader, compile, readCache, run } = require('./code-cache.cjs')

const bundle = join(__dirname, '.code', `${basename(__filename, '.cjs')}.cjs`)
const source = readFileSync(bundle, 'utf8')
run(compile(bundle, source, readCache(bundle.replace(/\.cjs$/, '.cache'), cacheHeader(source))), bundle)
