// npm run build: precompile the JSON schemas, then bundle each entry point into one file
// bin/.code/<name>.cjs with its V8 code cache bin/.code/<name>.cache, and put the start-up stub
// (scripts/loader/) in bin/ as the executable <name> (bin/ is a ready CNI_PATH directory).
// Bundling keeps start-up to one file read; the code cache spares compiling it (see the stub).
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'

execFileSync(process.execPath, ['scripts/gen-validators.mjs'], { stdio: 'inherit' })

const entries = {
  'cni-chain': 'chain/cli/main.ts',
  tuning: 'meta-plugins/tuning/main.ts',
  portmap: 'meta-plugins/portmap/main.ts',
  bandwidth: 'meta-plugins/bandwidth/main.ts',
  firewall: 'meta-plugins/firewall/main.ts',
  chain: 'chain/plugin/main.ts',
}

rmSync('bin/.code', { recursive: true, force: true })
mkdirSync('bin/.code', { recursive: true })
// the stubs have no extension: bin/package.json makes Node read them as CommonJS
writeFileSync('bin/package.json', '{"type":"commonjs"}\n')
const stub = await build({
  entryPoints: ['scripts/loader/stub.cjs'], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  minifySyntax: true, legalComments: 'none', write: false, logLevel: 'warning',
})
await Promise.all(Object.entries(entries).map(async ([name, entry]) => {
  const outfile = `bin/.code/${name}.cjs`
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    legalComments: 'none',
    // ESM dependencies (yargs) read import.meta.url, which a CJS bundle lacks: give them the file's URL
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  })
  writeFileSync(`bin/${name}`, `#!/usr/bin/env node\n${stub.outputFiles[0].text}`, { mode: 0o755 })
  chmodSync(`bin/${name}`, 0o755)
  // the cache: one run of the bundle (a VERSION call; the CLI prints its help), under the Node that
  // builds; NODE_OPTIONS would change V8's flags and so make V8 reject the cache at run time
  const env = { ...process.env, NODE_OPTIONS: '' }
  delete env.NODE_OPTIONS
  execFileSync(process.execPath, ['scripts/loader/make-cache.cjs', outfile, ...(name === 'cni-chain' ? ['--help'] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'], env,
  })
}))
// the VERSION answer of every plugin binary (the stub runs it for CNI_COMMAND=VERSION)
await build({
  entryPoints: ['src/skel/version-main.ts'], outfile: 'bin/.code/version.cjs', bundle: true, platform: 'node', target: 'node20',
  format: 'cjs', minifySyntax: true, legalComments: 'none', logLevel: 'warning',
})
console.log(`built ${Object.keys(entries).map((n) => `bin/${n}`).join(' ')} (code in bin/.code/)`)
