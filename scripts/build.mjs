// npm run build: precompile the JSON schemas, then bundle each entry point into one executable
// file in bin/ (a ready CNI_PATH directory). Bundling keeps each plugin's start-up to one file read.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
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

mkdirSync('bin', { recursive: true })
// the binaries have no extension: bin/package.json makes Node read them as CommonJS
writeFileSync('bin/package.json', '{"type":"commonjs"}\n')
await Promise.all(Object.entries(entries).map(async ([name, entry]) => {
  const outfile = `bin/${name}`
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
    banner: { js: "#!/usr/bin/env node\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  })
  chmodSync(outfile, 0o755)
}))
console.log(`built ${Object.keys(entries).map((n) => `bin/${n}`).join(' ')}`)
