// The launcher `cni-chain install` puts in the bin dir under each plugin's name. A runtime executes
// plugins with its own environment, often without node on PATH (kubelet, containerd, `env -i`),
// and the bundles are CommonJS files with no extension, whose meaning depends on the nearest
// package.json. So the plugin code goes to `<bin>/.cni-chain/<name>.cjs` and the launcher names
// both Node and that file by absolute path:
//   #!/bin/sh + a default PATH for nft/ip/tc when the runtime passes none + exec node file "$@"
// (a `#!/abs/node` shebang would hit the kernel's shebang length limit on long paths, and could
// not carry the PATH fallback).

/** The second line of every launcher: how `conflist show` and uninstall recognize ours. */
export const LAUNCHER_MARKER = '# cni-chain launcher'

/** Where plugin code, the bundled Node binary, backups and the manifest live inside the bin dir. */
export const PRIVATE_DIR = '.cni-chain'

/**
 * Inside PRIVATE_DIR (and bin/): each plugin's bundle `<name>.cjs` and V8 code cache `<name>.cache`.
 * `<name>` itself (bin/) or `<name>.cjs` (PRIVATE_DIR) is the start-up stub that runs them.
 */
export const CODE_DIR = '.code'
/** the bundle every plugin stub runs for VERSION (src/skel/version-main.ts), shared by all plugins */
export const VERSION_BUNDLE = 'version.cjs'

// the PATH a plugin gets when the runtime gives none (nft, ip, tc and sysctl live in sbin)
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * checkLauncherPath refuses what cannot be written between single quotes in sh, or is relative.
 * Every path a launcher names goes through it.
 */
export const checkLauncherPath = (path: string, what: string): void => {
  if (path === '') throw new Error(`${what}: an empty path`)
  if (!path.startsWith('/')) throw new Error(`${what}: ${JSON.stringify(path)} is not an absolute path`)
  if (/['\n\r\0\\]/.test(path)) throw new Error(`${what}: ${JSON.stringify(path)} contains a quote, backslash or line break`)
}

/** launcherText is the sh script that runs `payload` (a .cjs bundle) with the Node binary `node`. */
export const launcherText = (name: string, node: string, payload: string): string => {
  checkLauncherPath(node, 'node binary')
  checkLauncherPath(payload, `${name} plugin code`)
  return [
    '#!/bin/sh',
    `${LAUNCHER_MARKER} for the ${name} plugin (written by \`cni-chain install\`; \`cni-chain uninstall\` removes it)`,
    `[ -n "$PATH" ] || PATH=${DEFAULT_PATH}`,
    'export PATH',
    `exec '${node}' '${payload}' "$@"`,
    '',
  ].join('\n')
}
