# Shared set-up for scripts/test.sh and scripts/demo.sh (sourced, not run). Everything the demo,
# the tests and the benchmarks need comes from Debian packages, npm and this repository; each step
# is skipped when already done, so a warm machine pays only for the checks.
# Needs: REPO (the repository root). Each step prints one line, `setup: WHAT ... 12.3 s` when it
# did work, `setup: WHAT (0.0 s)` when there was nothing to do; a failing step shows its output.

# System packages the tests and the demo use (Debian names). podman, runc and busybox-static: the
# real-runtime e2e test (test/tools/podman-setup.sh).
CC_APT_PACKAGES=(nftables iptables iproute2 containernetworking-plugins iperf3 socat iputils-ping conntrack
  procps golang-go golang-github-appc-cni-dev podman runc busybox-static)
CC_CNIRUN="$REPO/.cache/cnirun"
CC_CNIRUN_SRC="$REPO/test/tools/cnirun"
CC_BUILD_STAMP="$REPO/.cache/build.stamp"

cc_is_root() { [ "$(id -u)" -eq 0 ]; }

# cc_now: microseconds since the epoch (bash 5's EPOCHREALTIME, whatever the locale's decimal mark).
cc_now() { echo "${EPOCHREALTIME//[!0-9]/}"; }
# cc_secs T0: seconds since T0 (from cc_now), one decimal.
cc_secs() {
  local tenths=$((($(cc_now) - $1) / 100000))
  echo "$((tenths / 10)).$((tenths % 10))"
}
# cc_skip T0 WHAT: the one line of a step that had nothing to do.
cc_skip() { echo "setup: $2 ($(cc_secs "$1") s)"; }
# cc_run WHAT CMD...: runs CMD with its output kept aside, prints `setup: WHAT ... N s`; on failure
# prints the end of that output and returns CMD's status.
cc_run() {
  local what=$1 t0 log rc=0
  shift
  t0=$(cc_now)
  log=$(mktemp)
  printf 'setup: %s ... ' "$what"
  "$@" </dev/null >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "$(cc_secs "$t0") s"
  else
    echo "FAILED after $(cc_secs "$t0") s (exit $rc):"
    tail -n 40 "$log" | sed 's/^/  /'
  fi
  rm -f "$log"
  return "$rc"
}

# cc_install_packages: apt-get install the missing packages (one `apt-get update`); as non-root only report.
cc_install_packages() {
  local missing=() p t0
  t0=$(cc_now)
  for p in "${CC_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    cc_skip "$t0" "system packages present"
    return 0
  fi
  if ! cc_is_root; then
    echo "setup: not root, so not installing ${missing[*]} (e2e tests will be skipped)"
    return 0
  fi
  cc_run "apt-get install ${missing[*]}" cc_apt_install "${missing[@]}"
}
cc_apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"
}

# cc_check_node: Node.js >= 20.19 must be on PATH (Debian's own is older; not installed here).
cc_check_node() {
  local t0
  t0=$(cc_now)
  if ! command -v node >/dev/null; then
    echo "setup: node not found: install Node.js 20.19 or newer" >&2
    return 1
  fi
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || {
    echo "setup: node $(node --version) is too old: need 20.19 or newer" >&2
    return 1
  }
  cc_skip "$t0" "node $(node --version)"
}

# cc_npm_ci: `npm ci` when node_modules is missing or older than package.json / package-lock.json.
cc_npm_ci() {
  local stamp="$REPO/node_modules/.package-lock.json" t0
  t0=$(cc_now)
  if [ -f "$stamp" ] && [ "$stamp" -nt "$REPO/package-lock.json" ] && [ "$stamp" -nt "$REPO/package.json" ]; then
    cc_skip "$t0" "node_modules up to date"
    return 0
  fi
  cc_run "npm ci" bash -c 'cd "$1" && npm ci --no-audit --no-fund --loglevel=error' _ "$REPO"
}

# cc_build_fresh: bin/ was built (the stamp) after every input last changed. Directories count as
# inputs too: their mtime moves when a file is added, removed or renamed in them. Not src/ itself
# nor src/generated/: the build writes there.
cc_build_fresh() {
  local f
  [ -f "$CC_BUILD_STAMP" ] || return 1
  for f in cni-chain tuning portmap bandwidth firewall chain; do [ -x "$REPO/bin/$f" ] || return 1; done
  [ -z "$(cd "$REPO" && find src chain meta-plugins scripts/build.mjs scripts/gen-validators.mjs \
    package.json package-lock.json tsconfig.json node_modules/.package-lock.json \
    -path src/generated -prune -o ! -path src -newer "$CC_BUILD_STAMP" -print -quit 2>/dev/null)" ]
}

# cc_build: bundle bin/ and the validators, unless bin/ is newer than its sources.
cc_build() {
  local t0
  t0=$(cc_now)
  if cc_build_fresh; then
    cc_skip "$t0" "bin/ up to date"
    return 0
  fi
  mkdir -p "$REPO/.cache"
  # stamp the start, not the end: a source edited during the build makes the next run build again
  touch "$CC_BUILD_STAMP.new"
  cc_run "npm run build" bash -c 'cd "$1" && npm run --silent build' _ "$REPO" || {
    rm -f "$CC_BUILD_STAMP.new"
    return 1
  }
  mv -f "$CC_BUILD_STAMP.new" "$CC_BUILD_STAMP"
}

# cc_cnirun: build the libcni test runtime (test/tools/cnirun) into .cache/cnirun, unless it is
# newer than its sources.
cc_cnirun() {
  local t0
  t0=$(cc_now)
  if [ -x "$CC_CNIRUN" ] && [ "$CC_CNIRUN" -nt "$CC_CNIRUN_SRC/main.go" ] && [ "$CC_CNIRUN" -nt "$CC_CNIRUN_SRC/build.sh" ]; then
    cc_skip "$t0" "cnirun up to date"
    return 0
  fi
  if ! command -v go >/dev/null; then
    echo "setup: no go (not root, so not installed): cnirun not built"
    return 0
  fi
  cc_run "building cnirun (libcni) into .cache/cnirun" bash "$CC_CNIRUN_SRC/build.sh" "$CC_CNIRUN"
}

# cc_setup: everything above, in order; stops at (and returns) the first failure.
cc_setup() {
  cc_install_packages || return 1
  cc_check_node || return 1
  cc_npm_ci || return 1
  cc_build || return 1
  cc_cnirun || return 1
}

# cc_become_root SCRIPT ARGS...: when not root, re-run SCRIPT with sudo (keeping PATH, so the same
# node is found) if there is a sudo; returns when already root or when there is no sudo.
# CC_NO_SUDO=1 stays the current user; CC_SUDO_DONE stops a loop when sudo did not make us root.
cc_become_root() {
  cc_is_root && return 0
  [ -z "${CC_NO_SUDO:-}" ] && [ -z "${CC_SUDO_DONE:-}" ] && command -v sudo >/dev/null || return 0
  echo "not root: re-running with sudo" >&2
  exec sudo env "PATH=$PATH" CC_SUDO_DONE=1 ${DEMO_CNI_PATH:+"DEMO_CNI_PATH=$DEMO_CNI_PATH"} bash "$@"
}
