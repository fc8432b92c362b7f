#!/usr/bin/env bash
# cni-chain demo (as root): a pod wired by Debian's bridge + host-local, then cni-chain's tuning
# and portmap, driven by libcni (cnirun) exactly as containerd/CRI-O would. Host port 8080 on the
# "node" is published to port 80 in the pod; a "client" namespace makes a request to it.
# Everything happens in namespaces this script creates and deletes on exit; the machine's own
# network is not touched.
#   DEMO_CNI_PATH  plugin search path (default: bin/ first, then Debian's /usr/lib/cni);
#                  DEMO_CNI_PATH=/usr/lib/cni:$PWD/bin runs the reference plugins instead.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
unset NODE_EXTRA_CA_CERTS
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (it creates network namespaces): sudo bash scripts/demo.sh" >&2
  exit 1
fi

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# shellcheck source=lib/install.sh
source scripts/lib/install.sh
say "setting up (installs only what is missing)"
cc_setup

id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
NODE=cc-node-$id POD=cc-pod-$id CLIENT=cc-client-$id
dir=$(mktemp -d "/tmp/cc-demo-$id-XXXX")
export CNI_PATH=${DEMO_CNI_PATH:-"$REPO/bin:/usr/lib/cni"} CNI_CACHE_DIR=$dir/cache
server_pid='' added=''
node_ns() { ip netns exec "$NODE" "$@"; }
# the runtime passes the same capability args on every verb, as containerd and CRI-O do
caps='{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}'
cnirun_node() { node_ns env CAP_ARGS="$caps" CNI_PATH="$CNI_PATH" CNI_CACHE_DIR="$CNI_CACHE_DIR" "$CC_CNIRUN" "$@"; }

cleanup() {
  set +e
  say "cleaning up"
  if [ -n "$added" ]; then cnirun_node del "$dir/demo.conflist" "/run/netns/$POD" demo-pod eth0 && echo "CNI DEL done"; fi
  if [ -n "$server_pid" ]; then kill -- "-$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  for ns in "$POD" "$CLIENT" "$NODE"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$dir"
  echo "namespaces $NODE $POD $CLIENT and $dir removed"
}
trap cleanup EXIT

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

cat >"$dir/demo.conflist" <<JSON
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
say "conflist ($dir/demo.conflist), CNI_PATH=$CNI_PATH"
cat "$dir/demo.conflist"

say "CNI ADD through libcni, CAP_ARGS portMappings 8080 -> 80"
added=1 # from here on, cleanup runs DEL (it is idempotent, and a failed ADD needs it too)
result=$(cnirun_node add "$dir/demo.conflist" "/run/netns/$POD" demo-pod eth0)
echo "$result"
pod_ip=$(node -e 'console.log(JSON.parse(process.argv[1]).ips[0].address.split("/")[0])' "$result")
echo "pod address: $pod_ip"

say "what the plugins did"
echo "pod sysctl net.core.somaxconn (tuning): $(ip netns exec "$POD" cat /proc/sys/net/core/somaxconn)"
echo "node ruleset (portmap):"
node_ns nft list ruleset | sed 's/^/  /'

say "HTTP server on port 80 in the pod"
ip netns exec "$POD" setsid node -e '
  require("http").createServer((req, res) => res.end(`hello from the pod (${req.socket.localAddress}), you are ${req.socket.remoteAddress}\n`)).listen(80)
' &
server_pid=$!
for _ in $(seq 50); do
  ip netns exec "$POD" ss -Hltn 'sport = :80' | grep -q . && break
  sleep 0.1
done

say "client -> node 192.168.250.1:8080 (published port)"
ip netns exec "$CLIENT" node -e '
  const req = require("http").get("http://192.168.250.1:8080/", { timeout: 3000 }, (res) => {
    res.pipe(process.stdout); res.on("end", () => process.exit(res.statusCode === 200 ? 0 : 1))
  })
  req.on("timeout", () => { console.error("no answer within 3 s"); process.exit(1) })
  req.on("error", (e) => { console.error(e.message); process.exit(1) })
'

say "CNI CHECK"
status=0
if cnirun_node check "$dir/demo.conflist" "/run/netns/$POD" demo-pod eth0; then echo "CHECK passed"; else echo "CHECK FAILED"; status=1; fi

say "CNI DEL"
cnirun_node del "$dir/demo.conflist" "/run/netns/$POD" demo-pod eth0
added=''
rules=$(node_ns nft list ruleset)
if [ -z "$rules" ]; then echo "node ruleset after DEL: empty"; else echo "node ruleset after DEL:"; echo "$rules" | sed 's/^/  /'; fi
if [ "$status" -eq 0 ]; then say "demo done"; else say "demo done, with the failure above"; fi
exit "$status"
