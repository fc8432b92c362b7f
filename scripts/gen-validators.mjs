// Precompiles every JSON schema (*.schema.json under src/, chain/, meta-plugins/) into one
// standalone ESM module, src/generated/validators.js, so plugin binaries never compile schemas at
// start-up. Each schema's $id "tuning-config" becomes the export validateTuningConfig.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import standaloneCode from 'ajv/dist/standalone/index.js'

const roots = ['src', 'chain', 'meta-plugins']
const findSchemas = (dir) => readdirSync(dir).flatMap((name) => {
  const p = join(dir, name)
  if (statSync(p).isDirectory()) return name === 'generated' ? [] : findSchemas(p)
  return name.endsWith('.schema.json') ? [p] : []
})
const files = roots.flatMap(findSchemas).sort()

const exportName = (id) => 'validate' + id.split(/[^A-Za-z0-9]+/).map((w) => w[0].toUpperCase() + w.slice(1)).join('')

const ajv = new Ajv({ code: { source: true, esm: true }, allErrors: true, strict: true })
addFormats.default(ajv)
const exports = {}
for (const f of files) {
  const schema = JSON.parse(readFileSync(f, 'utf8'))
  if (!schema.$id) throw new Error(`${f}: schema has no $id`)
  ajv.addSchema(schema)
  exports[exportName(schema.$id)] = schema.$id
}
mkdirSync('src/generated', { recursive: true })
// ajv's ESM output still require()s runtime helpers (ucs2length for min/maxLength): import them instead
const helpers = new Map()
const code = standaloneCode.default(ajv, exports).replace(/require\("(ajv\/dist\/runtime\/[A-Za-z0-9]+)"\)/g, (_, mod) => {
  const name = `__ajv_${mod.split('/').pop()}`
  helpers.set(name, mod)
  return name
})
writeFileSync('src/generated/validators.js', [...helpers].map(([n, m]) => `import ${n} from '${m}.js';`).join('') + code)
writeFileSync('src/generated/validators.d.ts',
  "import type { ValidateFunction } from 'ajv'\n" +
  Object.keys(exports).map((n) => `export declare const ${n}: ValidateFunction\n`).join(''))
console.log(`validators: ${Object.keys(exports).length} schemas from ${files.length} files`)
