// Build step: `node make-cache.cjs BUNDLE` runs BUNDLE once as a VERSION call (stdin empty) and
// then writes BUNDLE's code cache (BUNDLE with .cache for .cjs) as the stub reads it. Written
// after the run, so the functions compiled on the way (the start-up path) are in it too.
'use strict'
const { readFileSync, renameSync, writeFileSync } = require('node:fs')
const { resolve } = require('node:path')
const { cacheHeader, compile, run } = require('./code-cache.cjs')

const bundle = resolve(process.argv[2])
const target = bundle.replace(/\.cjs$/, '.cache')
const source = readFileSync(bundle, 'utf8')
const script = compile(bundle, source, undefined)
process.on('exit', () => {
  const tmp = `${target}.tmp-${process.pid}`
  writeFileSync(tmp, Buffer.concat([Buffer.from(cacheHeader(source)), script.createCachedData()]), { mode: 0o644, flag: 'wx' })
  renameSync(tmp, target)
})
process.env.CNI_COMMAND = 'VERSION'
process.argv.splice(1, 2, bundle)
run(script, bundle)
