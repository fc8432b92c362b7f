// Bundled and run by test/e2e/fake-vs-real.test.ts inside the node namespace (a Node process
// cannot switch its own netns, and the nft seam acts in the caller's): the sequence on the real
// Host. stdin: {"pod","dir"}; stdout: the observations as JSON.
import { createRealHost } from '../../../src/host/real.js'
import { runSequence, type Env } from './sequence.js'

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const main = async (): Promise<void> => {
  const env = JSON.parse(await readStdin()) as Env
  process.stdout.write(JSON.stringify(await runSequence(createRealHost(), env)))
}

void main()
