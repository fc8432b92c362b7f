#!/usr/bin/env bash
# Builds cnirun (main.go beside this file) offline, in GOPATH mode, against the libcni sources of
# Debian's golang-github-appc-cni-dev (/usr/share/gocode). No network, no module proxy: every
# import is either Go's standard library or under that GOPATH.
# usage: build.sh OUTPUT     (OUTPUT appears complete or not at all: built beside it, then renamed)
# Needs: go (golang-go) and golang-github-appc-cni-dev; scripts/lib/install.sh installs both.
set -euo pipefail
out=${1:?usage: build.sh OUTPUT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gopath=/usr/share/gocode

if ! command -v go >/dev/null; then
  echo "cnirun build: go not found (Debian package golang-go)" >&2
  exit 1
fi
if [ ! -f "$gopath/src/github.com/containernetworking/cni/libcni/api.go" ]; then
  echo "cnirun build: libcni sources missing in $gopath (Debian package golang-github-appc-cni-dev)" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp.$$"' EXIT
# GO111MODULE=off: imports resolve from GOPATH only. GOENV=off and GOFLAGS='' keep a user's go env
# (e.g. -mod=mod, a GOPROXY) out of it; GOCACHE is private so root and users never share one.
(cd "$here" && env GO111MODULE=off GOPATH="$gopath" GOENV=off GOFLAGS='' GOPROXY=off \
  GOCACHE="$work/cache" CGO_ENABLED=0 go build -trimpath -o "$out.tmp.$$" .)
mv -f "$out.tmp.$$" "$out"
echo "built $out"
