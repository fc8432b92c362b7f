#!/usr/bin/env bash
# cni-chain demo: a pod wired by Debian's bridge + host-local, then cni-chain's tuning and portmap,
# driven by the `cni-chain` CLI (bin/cni-chain): ADD with node port 8080 published to port 80 in
# the pod, a request from a "client" namespace through that port, CHECK, the node's nft table, DEL,
# and nothing left. Then the same conflist once more through libcni (.cache/cnirun), the library
# containerd, CRI-O and podman run, with cni-chain CHECKing what libcni added.
# Everything happens in namespaces this script creates and deletes on exit, also on failure; the
# machine's own network and ruleset are not touched. Run as root (it re-runs itself with sudo
# when not root and sudo exists).
#   DEMO_CNI_PATH  plugin search path (default: bin/ first, then Debian's /usr/lib/cni). When set,
#                  cni-chain runs every plugin from it (--no-builtins):
#                  DEMO_CNI_PATH=/usr/lib/cni:$PWD/bin runs the reference tuning and portmap.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
unset NODE_EXTRA_CA_CERTS
# shellcheck source=lib/install.sh
source scripts/lib/install.sh
cc_become_root "$REPO/scripts/demo.sh" "$@"
if ! cc_is_root; then
  echo "demo: needs root (it creates network namespaces); run it as root, or install sudo" >&2
  exit 1
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "setting up (installs only what is missing)"
cc_setup

id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
NODE=cc-node-$id POD=cc-pod-$id CLIENT=cc-client-$id
dir=$(mktemp -d "/tmp/cc-demo-$id-XXXX")
conf=$dir/demo.conflist
export CNI_PATH=${DEMO_CNI_PATH:-"$REPO/bin:/usr/lib/cni"} CNI_CACHE_DIR=$dir/cache
builtins=--builtins
[ -z "${DEMO_CNI_PATH:-}" ] || builtins=--no-builtins
# the runtime passes the same capability args on every verb, as containerd and CRI-O do
caps='{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}'
server_pid='' attached='' # attached: the container id cleanup must DEL

node_ns() { ip netns exec "$NODE" "$@"; }
# cni-chain VERB ... inside the node namespace, with this demo's plugin path and cache
cni_chain() {
  local verb=$1
  shift
  node_ns "$REPO/bin/cni-chain" "$verb" "$@" --bin-dir "$CNI_PATH" --cache-dir "$CNI_CACHE_DIR" "$builtins"
}
# cnirun VERB ID: the same conflist through libcni
cnirun_node() { node_ns env CAP_ARGS="$caps" "$CC_CNIRUN" "$1" "$conf" "/run/netns/$POD" "$2" eth0; }
# ask_pod: an HTTP request from the client to the node's published port; prints the pod's answer
ask_pod() {
  ip netns exec "$CLIENT" node -e '
    const req = require("http").get("http://192.168.250.1:8080/", { timeout: 3000 }, (res) => {
      res.pipe(process.stdout); res.on("end", () => process.exit(res.statusCode === 200 ? 0 : 1))
    })
    req.on("timeout", () => { console.error("no answer within 3 s"); process.exit(1) })
    req.on("error", (e) => { console.error(e.message); process.exit(1) })
  '
}
show_portmap_table() {
  node_ns nft list table inet cni_portmap_v2 2>/dev/null | sed 's/^/  /' || echo "  (no table inet cni_portmap_v2)"
}

cleanup() {
  local code=$?
  set +e
  say "cleaning up"
  if [ -n "$attached" ]; then
    cni_chain del "$conf" "/run/netns/$POD" --container-id "$attached" --cap-args "$caps" && echo "DEL $attached done"
  fi
  if [ -n "$server_pid" ]; then kill -- "-$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  for ns in "$POD" "$CLIENT" "$NODE"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$dir"
  echo "namespaces $NODE $POD $CLIENT and $dir removed"
  [ "$code" -eq 0 ] || echo "demo FAILED (exit $code)"
}
trap cleanup EXIT
# a signal ends the script through exit, so the EXIT trap cleans up; a closed stdout (| head) too
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap '' PIPE

say "namespaces: node $NODE, pod $POD, client $CLIENT"
for ns in "$NODE" "$POD" "$CLIENT"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
node_ns sysctl -q -w net.ipv4.ip_forward=1
ip -n "$NODE" link add cc-client0 type veth peer name eth0 netns "$CLIENT"
ip -n "$NODE" addr add 192.168.250.1/24 dev cc-client0
ip -n "$NODE" link set cc-client0 up
ip -n "$CLIENT" addr add 192.168.250.2/24 dev eth0
ip -n "$CLIENT" link set eth0 up
ip -n "$CLIENT" route add default via 192.168.250.1
echo "client 192.168.250.2 --veth-- 192.168.250.1 node --bridge cni0 10.250.0.1-- pod"

cat >"$conf" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "demo",
  "plugins": [
    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.250.0.0/24" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$dir/ipam" } },
    { "type": "tuning", "sysctl": { "net.core.somaxconn": "1024" } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
say "conflist $conf (CNI_PATH=$CNI_PATH)"
cat "$conf"

say "HTTP server on port 80 in the pod"
ip netns exec "$POD" setsid node -e '
  require("http").createServer((req, res) => res.end(`hello from the pod (${req.socket.localAddress}), you are ${req.socket.remoteAddress}\n`)).listen(80)
' &
server_pid=$!
for _ in $(seq 50); do
  ip netns exec "$POD" ss -Hltn 'sport = :80' | grep -q . && break
  sleep 0.1
done

say "cni-chain add (publishes node port 8080 -> pod port 80)"
echo "+ cni-chain add $conf /run/netns/$POD --container-id demo-pod --cap-args '$caps' $builtins"
attached=demo-pod # from here on, cleanup runs DEL (idempotent; a failed ADD needs it too)
result=$(cni_chain add "$conf" "/run/netns/$POD" --container-id demo-pod --cap-args "$caps")
echo "$result"
pod_ip=$(node -e 'console.log(JSON.parse(process.argv[1]).ips[0].address.split("/")[0])' "$result")
echo "pod address: $pod_ip; pod net.core.somaxconn (tuning): $(ip netns exec "$POD" cat /proc/sys/net/core/somaxconn)"

say "client -> node 192.168.250.1:8080 (the published port); the pod answers:"
ask_pod

say "cni-chain check"
cni_chain check "$conf" "/run/netns/$POD" --container-id demo-pod --cap-args "$caps"
echo "CHECK passed"

say "the node's nft table (portmap)"
show_portmap_table
echo "ports in the cache (cni-chain ports list):"
node_ns "$REPO/bin/cni-chain" ports list --cache-dir "$CNI_CACHE_DIR" | sed 's/^/  /'

say "cni-chain del"
cni_chain del "$conf" "/run/netns/$POD" --container-id demo-pod --cap-args "$caps"
attached=''
echo "DEL done. What is left:"
echo "  pod interfaces: $(ip -n "$POD" -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
echo "  cached results: $(find "$CNI_CACHE_DIR" -type f 2>/dev/null | wc -l)"
echo "  IP leases: $(find "$dir/ipam" -type f -name '10.*' 2>/dev/null | wc -l)"
left=$(node_ns nft list table inet cni_portmap_v2 2>/dev/null | grep -cE 'elements = |chain pm-' || true)
echo "  node nft table inet cni_portmap_v2: $left port entries or pod chains (the empty maps and hook chains stay for the next pod)"
[ "$left" -eq 0 ] || { show_portmap_table; exit 1; }
if ask_pod >/dev/null 2>&1; then
  echo "port 8080 still answers after DEL" >&2
  exit 1
fi
echo "  port 8080: no answer"

say "the same through libcni (cnirun), cni-chain checking what libcni added"
echo "+ CAP_ARGS='$caps' cnirun add $conf /run/netns/$POD demo-pod-libcni eth0"
attached=demo-pod-libcni
cnirun_node add demo-pod-libcni >/dev/null
echo "libcni ADD done; the pod answers:"
ask_pod
cni_chain check "$conf" "/run/netns/$POD" --container-id demo-pod-libcni --cap-args "$caps"
echo "cni-chain CHECK of libcni's attachment passed"
cnirun_node del demo-pod-libcni
attached=''
echo "libcni DEL done; cached results left: $(find "$CNI_CACHE_DIR" -type f 2>/dev/null | wc -l)"

say "demo done"
