// Entry point bundled by invoke.ts and run inside the node namespace: drives the project's invoke
// layer (src/invoke/exec-plugin.ts) there, since a Node process cannot switch its own netns.
// stdin: {"type","dirs","conf","env"}; stdout: {"result"} or {"error":{code,msg,details}}.
import { execPlugin, findPlugin, type InvokeEnv } from '../../../src/invoke/exec-plugin.js'

interface Request {
  type: string
  dirs: string[]
  conf: Record<string, unknown>
  env: InvokeEnv
}

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const main = async (): Promise<void> => {
  const req = JSON.parse(await readStdin()) as Request
  try {
    const file = await findPlugin(req.type, req.dirs)
    const result = await execPlugin(file, req.conf as never, req.env)
    process.stdout.write(JSON.stringify({ file, result: result ?? null }))
  } catch (e) {
    const err = e as { code?: unknown; msg?: unknown; message?: unknown; details?: unknown }
    process.stdout.write(JSON.stringify({ error: { code: err.code, msg: err.msg ?? err.message, details: err.details } }))
  }
}

void main()
