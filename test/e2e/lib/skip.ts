// Why e2e tests would not run here: they need root and the tools below.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const TOOLS = ['ip', 'nft', 'tc', 'socat', 'ss', 'sysctl', 'nsenter']
const PLUGINS = ['/usr/lib/cni/bridge', '/usr/lib/cni/host-local']

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const onPath = (tool: string): boolean => {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']
  return dirs.some((d) => d !== '' && executable(join(d, tool)))
}

const reason = (): string | false => {
  const uid = process.getuid?.()
  if (uid !== 0) return `e2e tests need root (uid ${uid ?? 'unknown'}); run the tests as root: bash scripts/test.sh`
  const missing = [...TOOLS.filter((tool) => !onPath(tool)), ...PLUGINS.filter((p) => !executable(p))]
  if (missing.length > 0) return `e2e tests need ${missing.join(', ')} (scripts/test.sh installs them as root)`
  return false
}

/** The reason to skip e2e tests (not root, tools missing), or false when they can run. */
export const e2eSkip: string | false = reason()
