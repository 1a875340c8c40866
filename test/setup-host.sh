#!/usr/bin/env bash
# Prepares a fresh Debian machine for rrun's demo and tests. Must run as root.
# Idempotent: installs only what is missing.
#   - Debian packages rrun's tests and peers need
#   - the unprivileged test users: rrun-test (with a subuid/subgid range) and
#     rrun-nosub (without one, for the single-uid mapping tests)
#   - host quirks of this kind of VM (see shared FACTS.md): /dev/fuse and
#     /dev/net/tun modes
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "setup-host.sh must run as root" >&2; exit 1; }

PACKAGES=(busybox-static uidmap protobuf-compiler fuse-overlayfs slirp4netns passt make gcc libc6-dev procps git debootstrap podman)
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

[ -e /dev/fuse ] && chmod 0666 /dev/fuse
[ -e /dev/net/tun ] && chmod 0666 /dev/net/tun
exit 0
