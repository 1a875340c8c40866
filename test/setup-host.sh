#!/usr/bin/env bash
# Prepares a fresh Debian machine for rrun's demo and tests. Must run as root.
# Idempotent: installs only what is missing.
#   - Debian packages rrun's tests and peers need
#   - the unprivileged test users: rrun-test (with a subuid/subgid range) and
#     rrun-nosub (without one, for the single-uid mapping tests)
#   - a 20 MB tmpfs for rrun-test at /var/tmp/rrun-small-20m (the full-disk test)
#   - host quirks of this kind of VM (see shared FACTS.md): /dev/fuse and
#     /dev/net/tun modes
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "setup-host.sh must run as root" >&2; exit 1; }

PACKAGES=(busybox-static uidmap protobuf-compiler fuse-overlayfs slirp4netns passt make gcc libc6-dev procps git debootstrap libseccomp-dev runc crun podman slurm-wlm munge libslurm-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

make_user() { # name with_range
  if ! id "$1" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$1"
  fi
  if [ "$2" = yes ] && ! grep -q "^$1:" /etc/subuid; then
    usermod --add-subuids 200000-265535 --add-subgids 200000-265535 "$1"
  fi
  if [ "$2" = no ]; then
    sed -i "/^$1:/d" /etc/subuid /etc/subgid
  fi
}
make_user rrun-test yes
make_user rrun-nosub no

# The realistic image of the tests (Debian minbase), built once and cached;
# `make demo` needs no network and skips it (RRUN_SETUP_FIXTURES=no).
if [ "${RRUN_SETUP_FIXTURES:-yes}" != no ]; then
  "$(dirname "$0")/fixtures/debian-minbase.sh"
fi

# A small filesystem the full-disk test fills up (TestFullDisk*): a 20 MB
# tmpfs that only rrun-test may use. A user cannot mount one on the host.
small=/var/tmp/rrun-small-20m
mkdir -p "$small"
if ! mountpoint -q "$small"; then
  mount -t tmpfs -o "size=20m,mode=0700,uid=$(id -u rrun-test),gid=$(id -g rrun-test)" rrun-small "$small"
fi

[ -e /dev/fuse ] && chmod 0666 /dev/fuse
[ -e /dev/net/tun ] && chmod 0666 /dev/net/tun
# crun (the oci isolation backend, a bench peer) refuses a hybrid cgroup
# layout whose v2 hierarchy holds a controller: move hugetlb to v1.
# (Not `-s`: a cgroup file's size is 0 whatever it holds.)
if [ -r /sys/fs/cgroup/unified/cgroup.controllers ] && ! mountpoint -q /sys/fs/cgroup/hugetlb &&
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers; then
  mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
# The two-node Slurm cluster of test/slurm (nodes n1, n2 on 127.0.0.1), with
# this checkout's SPANK plugin (make slurm): see docs/slurm.md. A test
# fixture, like the Debian image: make demo skips it.
if [ "${RRUN_SETUP_FIXTURES:-yes}" != no ]; then
  "$(dirname "$0")/../integrations/slurm/test-cluster.sh" ||
    echo "setup-host: the Slurm test cluster did not start (go test ./test/slurm says why)" >&2
fi
exit 0
