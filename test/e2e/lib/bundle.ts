// One CommonJS bundle of a test's entry file, built as bin/ is (esbuild, node20), for a helper
// process the tests start inside a namespace (fuzz runner, invoke, fake-vs-real).
import { join } from 'node:path'
import { build } from 'esbuild'
import { repoRoot } from './proc.js'

/**
 * bundleCjs bundles `entry` (relative to the repository) into `outfile`. With importMetaUrl, the
 * bundle gets import.meta.url as bin/'s bundles do (the plugins' code reads it).
 */
export const bundleCjs = async (entry: string, outfile: string, opts: { importMetaUrl?: boolean } = {}): Promise<string> => {
  await build({
    entryPoints: [join(repoRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
    ...(opts.importMetaUrl ? {
      banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      define: { 'import.meta.url': '__importMetaUrl' },
    } : {}),
  })
  return outfile
}
