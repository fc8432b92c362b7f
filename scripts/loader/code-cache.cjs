// What the start-up stub (stub.cjs) and the build's cache writer (make-cache.cjs) share: how a
// bundle is compiled and run like a CommonJS module, and the header that ties a V8 code cache to
// one bundle (its sha256), one Node version and one architecture.
'use strict'
const { createHash } = require('node:crypto')
const { readFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { dirname } = require('node:path')
const { Script } = require('node:vm')

/** the cache file's first line for this bundle source under this Node */
const cacheHeader = (source) =>
  `cni-chain code cache 1 ${createHash('sha256').update(source).digest('hex')} ${process.version} ${process.arch}\n`

/** the V8 bytes of the cache at `path` when its header is exactly `header`, else undefined */
const readCache = (path, header) => {
  let bytes
  try {
    bytes = readFileSync(path)
  } catch {
    return undefined
  }
  const head = Buffer.from(header)
  return bytes.length > head.length && bytes.subarray(0, head.length).equals(head) ? bytes.subarray(head.length) : undefined
}

/** compile wraps the bundle as Node wraps a CommonJS file; V8 checks cachedData again (version, flags, length) */
const compile = (bundle, source, cachedData) =>
  new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData })

/** run executes the compiled bundle as the module `bundle` */
const run = (script, bundle) => {
  const mod = { exports: {} }
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle))
}

module.exports = { cacheHeader, readCache, compile, run }
