#!/usr/bin/env bash
# npm test: set up what is missing, typecheck, then run every test tier with tap:
#   test/unit (pure, fakes), test/fixtures (JSON chain fixtures), test/compat, test/e2e (root,
#   network namespaces; each file skips with a printed reason when not root).
# Ends with the plain line `N passed, N failed, N skipped`; exits non-zero when anything failed.
# Extra arguments go to tap (e.g. `bash scripts/test.sh test/e2e/harness.test.ts` runs one file).
# Run it as root. Otherwise it re-runs itself with sudo when there is one; without sudo (or with
# CC_NO_SUDO=1) the unit and fixture tiers run and the e2e files skip.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
unset NODE_EXTRA_CA_CERTS # triples Node's start-up in every plugin the tests run
# shellcheck source=lib/install.sh
source scripts/lib/install.sh
cc_become_root "$REPO/scripts/test.sh" "$@"
start=$SECONDS

if ! { cc_install_packages && cc_check_node && cc_npm_ci; }; then
  echo "setup failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
# a failed build or typecheck counts as a failure, but the tests still run (unit tests need neither)
extra_failed=0
if ! cc_build; then
  echo "build FAILED"
  extra_failed=$((extra_failed + 1))
fi
cc_cnirun || echo "cnirun build failed (the cnirun e2e tests will fail)"
echo "typecheck: tsc -p ."
if ! npx tsc -p .; then
  echo "typecheck FAILED"
  extra_failed=$((extra_failed + 1))
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for dir in test/unit test/fixtures test/compat test/e2e; do
    # a glob (tap expands it), not the directory: tap would run every .ts in it, helpers too;
    # and only tiers that have test files (tap fails on a pattern that matches nothing)
    if [ -d "$dir" ] && [ -n "$(find "$dir" -name '*.test.ts' -print -quit)" ]; then targets+=("$dir/**/*.test.ts"); fi
  done
fi
cc_is_root || echo "e2e: not root, e2e tests will skip (run as root, or install sudo)"
if [ ${#targets[@]} -eq 0 ]; then
  echo "no test files found"
  echo "0 passed, $extra_failed failed, 0 skipped"
  exit "$extra_failed"
fi
echo "setup and typecheck took $((SECONDS - start)) s; tap: ${targets[*]}"

CC_EXTRA_FAILED=$extra_failed npx tap --reporter=./scripts/plain-reporter.mjs "${targets[@]}" </dev/null
code=$?
if [ "$code" -eq 0 ] && [ "$extra_failed" -ne 0 ]; then code=1; fi
exit "$code"
