#!/usr/bin/env bash
# npm run bench [-- OPTIONS]: build bin/ and cnirun, bundle bench/run.ts and run it as root from the
# repository root; writes bench/results/latest.md and latest.svg. Options: see bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (network namespaces)" >&2; exit 1; }
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
npm run build
if [ ! -x .cache/cnirun ]; then
  mkdir -p .cache
  bash test/tools/cnirun/build.sh .cache/cnirun.tmp-$$ && mv .cache/cnirun.tmp-$$ .cache/cnirun
fi
out=$(mktemp -d /tmp/ccbench-run.XXXXXX)
trap 'rm -rf "$out"' EXIT
npx esbuild bench/run.ts --bundle --platform=node --format=esm --outfile="$out/run.mjs" --log-level=warning
node "$out/run.mjs" "$@"
