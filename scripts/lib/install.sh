# Shared set-up for scripts/test.sh and scripts/demo.sh (sourced, not run). Every step is skipped
# when already done, so a warm machine pays only for the checks.
# Needs: REPO (the repository root). Functions print `setup: ...` lines.

# System packages the tests and the demo use (Debian names).
CC_APT_PACKAGES=(nftables iproute2 containernetworking-plugins iperf3 socat iputils-ping conntrack
  procps golang-go golang-github-appc-cni-dev)
CC_SHARED=${CC_SHARED:-"$REPO/../shared"}
CC_CNIRUN="$REPO/.cache/cnirun"

cc_is_root() { [ "$(id -u)" -eq 0 ]; }

# cc_install_packages: apt-get install the missing packages (one `apt-get update`); as non-root only report.
cc_install_packages() {
  local missing=() p
  for p in "${CC_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: system packages present"
    return 0
  fi
  if ! cc_is_root; then
    echo "setup: not root, so not installing ${missing[*]} (e2e tests will be skipped)"
    return 0
  fi
  echo "setup: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# cc_check_node: Node.js >= 20.19 must be on PATH (Debian's own is older; not installed here).
cc_check_node() {
  if ! command -v node >/dev/null; then
    echo "setup: node not found: install Node.js 20.19 or newer" >&2
    return 1
  fi
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
    echo "setup: node $(node --version) is too old: need 20.19 or newer" >&2
    return 1
  }
}

# cc_npm_ci: `npm ci` when node_modules is missing or older than package.json / package-lock.json.
cc_npm_ci() {
  local stamp="$REPO/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$REPO/package-lock.json" ] && [ "$stamp" -nt "$REPO/package.json" ]; then
    echo "setup: node_modules up to date"
    return 0
  fi
  echo "setup: npm ci"
  (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
}

# cc_build: bundle bin/ and the validators.
cc_build() {
  echo "setup: npm run build"
  (cd "$REPO" && npm run --silent build </dev/null)
}

# cc_cnirun: build the libcni runtime into .cache/cnirun unless it is newer than its main.go.
cc_cnirun() {
  local src="$CC_SHARED/tools/cnirun"
  if [ ! -f "$src/build.sh" ]; then
    echo "setup: $src/build.sh not found, cnirun not built (the e2e harness will report it)"
    return 0
  fi
  if [ -x "$CC_CNIRUN" ] && [ "$CC_CNIRUN" -nt "$src/main.go" ]; then
    echo "setup: cnirun up to date"
    return 0
  fi
  if ! cc_is_root && ! command -v go >/dev/null; then
    echo "setup: not root and no go: cnirun not built"
    return 0
  fi
  echo "setup: building cnirun (libcni) into .cache/cnirun"
  mkdir -p "$REPO/.cache"
  bash "$src/build.sh" "$CC_CNIRUN.tmp.$$" </dev/null >/dev/null
  mv -f "$CC_CNIRUN.tmp.$$" "$CC_CNIRUN"
}

# cc_setup: everything above, in order; stops at (and returns) the first failure.
cc_setup() {
  cc_install_packages || { echo "setup: installing packages failed" >&2; return 1; }
  cc_check_node || return 1
  cc_npm_ci || { echo "setup: npm ci failed" >&2; return 1; }
  cc_build || { echo "setup: npm run build failed" >&2; return 1; }
  cc_cnirun || { echo "setup: building cnirun failed" >&2; return 1; }
}
