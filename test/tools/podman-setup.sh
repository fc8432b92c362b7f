#!/usr/bin/env bash
# A private podman for test/e2e/podman.test.ts: Debian's podman 4.3 with its CNI backend running
# containers through the plugin dirs given (bin/ first), with everything it writes under DIR, so the
# machine's own podman state, /run and /var/lib stay untouched.
#
#   podman-setup.sh setup DIR PLUGIN_DIR...    packages (root only, when missing), DIR's layout,
#                                              the mount namespace, the busybox image
#   podman-setup.sh podman DIR NETNS [ARGS...] podman with DIR's settings in network namespace NETNS
#   podman-setup.sh teardown DIR NETNS         removes every container (in NETNS, or in an empty
#                                              throwaway namespace when NETNS is gone), then the
#                                              mount namespace
# podman never runs in the machine's own network namespace: the plugins it starts would change
# the machine's ruleset. Where no node namespace is meant (setup's image import, a teardown after
# the node is gone) it runs in an empty namespace of its own (unshare --net).
#
# What the machine needs and why (each a way this fails otherwise):
#  - runc, not crun: crun 1.8 fails on this VM's hybrid cgroups (v1 controllers + unified);
#  - cgroup_manager "cgroupfs", events "file": PID 1 is not systemd, there is no journald to log to;
#  - default_ulimits = []: podman raises RLIMIT_NOFILE/NPROC by default, which needs
#    CAP_SYS_RESOURCE the VM does not give;
#  - network_backend "cni" (podman 4.3 picks netavark when installed), cni_plugin_dirs in order;
#  - podman runs through `nsenter --net=/run/netns/NODE`, not `ip netns exec`: that one remounts
#    /sys, and without /sys/fs/cgroup podman cannot create the container's cgroup;
#  - a persistent mount namespace (DIR/mntns, entered with nsenter --mount): tmpfs over /run and
#    /var/lib, with DIR/run-cni on /run/cni (our plugins' state), DIR/cni on /var/lib/cni (libcni's
#    cache and host-local's leases: podman's default conflist has no dataDir and podman gives
#    libcni no cache dir). runc's state (/run/runc), podman's netns files (/run/netns) and the
#    blob cache land in those tmpfs and vanish with the namespace;
#  - the image: busybox-static's /bin/busybox in a rootfs tarball, `podman import`ed (no registry).
set -euo pipefail

PACKAGES=(podman runc busybox-static containernetworking-plugins)
IMAGE=localhost/cc-busybox:latest

usage() {
  echo "usage: $0 setup DIR PLUGIN_DIR... | podman DIR NETNS [ARGS...] | teardown DIR NETNS" >&2
  exit 2
}

# private_podman DIR NETNS ARGS...: podman inside DIR's mount namespace with DIR's storage and
# config, in network namespace NETNS (a namespace file), or "-" for an empty one of its own
private_podman() {
  local dir=$1 netns=$2
  shift 2
  local enter=(nsenter --mount="$dir/mntns")
  if [ "$netns" = - ]; then
    enter+=(-- unshare --net)
  else
    enter+=(--net="$netns")
  fi
  "${enter[@]}" -- env CONTAINERS_CONF="$dir/containers.conf" \
    podman --root "$dir/root" --runroot "$dir/runroot" --tmpdir "$dir/tmp" --storage-driver vfs "$@"
}

install_missing() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "podman-setup: ${missing[*]} missing, and not root to install them" >&2
    return 1
  fi
  echo "podman-setup: apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_conf() {
  local dir=$1 dirs="" d
  shift
  for d in "$@" /usr/lib/cni; do
    case $d in /*) ;; *) echo "podman-setup: plugin dir $d is not absolute" >&2; return 1 ;; esac
    case $d in *'"'* | *'\'*) echo "podman-setup: plugin dir $d has a quote or backslash" >&2; return 1 ;; esac
    dirs+="${dirs:+, }\"$d\""
  done
  cat >"$dir/containers.conf.tmp" <<CONF
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "cni"
cni_plugin_dirs = [$dirs]
network_config_dir = "$dir/net.d"
CONF
  mv -f "$dir/containers.conf.tmp" "$dir/containers.conf"
}

# make_mount_ns DIR: the persistent mount namespace bound to DIR/mntns (kept when it exists)
make_mount_ns() {
  local dir=$1
  if mountpoint -q "$dir/mntns" 2>/dev/null; then return 0; fi
  : >"$dir/mntns"
  unshare --mount="$dir/mntns" --propagation private -- sh -euc '
    mount -t tmpfs -o mode=0755,size=64m cc-podman-run /run
    mkdir -m 0755 /run/cni /run/netns /run/lock
    mount --bind "$1/run-cni" /run/cni
    mount -t tmpfs -o mode=0755,size=64m cc-podman-varlib /var/lib
    mkdir -m 0755 /var/lib/cni
    mount --bind "$1/cni" /var/lib/cni
  ' sh "$dir"
}

make_image() {
  local dir=$1 root
  private_podman "$dir" - image exists "$IMAGE" && return 0
  root="$dir/rootfs"
  rm -rf "$root"
  mkdir -p "$root/bin" "$root/www" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for a in sh httpd nc echo cat ip sleep wget ls; do ln -sf busybox "$root/bin/$a"; done
  echo hello-from-podman >"$root/www/index.html"
  tar -C "$root" -cf "$dir/rootfs.tar" .
  private_podman "$dir" - import -q "$dir/rootfs.tar" "$IMAGE" >/dev/null
  rm -rf "$root" "$dir/rootfs.tar"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $dir in /*) ;; *) echo "podman-setup: DIR must be absolute" >&2; exit 2 ;; esac

case $cmd in
  setup)
    shift 2
    install_missing
    mkdir -p "$dir"/{root,runroot,tmp,net.d,cni,run-cni}
    write_conf "$dir" "$@"
    make_mount_ns "$dir"
    make_image "$dir"
    echo "podman ready: $(private_podman "$dir" - info --format '{{.Host.NetworkBackend}} backend, {{.Host.OCIRuntime.Name}}, cgroups {{.Host.CgroupsVersion}}')"
    ;;
  teardown)
    netns=${3:?usage: $0 teardown DIR NETNS}
    [ -e "$netns" ] || netns=-
    if mountpoint -q "$dir/mntns" 2>/dev/null; then
      private_podman "$dir" "$netns" rm --all --force --time 0 >/dev/null 2>&1 || true
      umount "$dir/mntns"
    fi
    rm -f "$dir/mntns"
    ;;
  podman)
    netns=${3:?usage: $0 podman DIR NETNS [ARGS...]}
    [ "$netns" = - ] || [ -e "$netns" ] || { echo "podman-setup: no network namespace $netns" >&2; exit 2; }
    shift 3
    private_podman "$dir" "$netns" "$@"
    ;;
  *) usage ;;
esac
