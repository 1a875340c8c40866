#!/usr/bin/env bash
# README's first command (`make demo`): builds rrun, builds a busybox image
# locally (no network), loads it and runs a container rootless.
# As root it first installs what is missing and runs the container as the
# unprivileged user rrun-test; as another user it runs as that user.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH=/usr/local/go/bin:$PATH CGO_ENABLED=1
if [ "$(id -u)" = 0 ]; then
  RRUN_SETUP_FIXTURES=no test/setup-host.sh # the Debian fixture is make test's, and needs the network
else
  for tool in newuidmap busybox gcc; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is missing: sudo apt-get install uidmap busybox-static gcc" >&2; exit 1; }
  done
fi
echo "== building rrun"
make -s build
demo=$(mktemp -d /tmp/rrun-demo.XXXXXX)
cp bin/rrun "$demo/rrun"
cp bin/rrun-nsinit "$demo/rrun-nsinit" # the containers' init, found next to rrun
cp bin/rrun-monitor "$demo/rrun-monitor" # a detached container's small monitor, found next to rrun
echo "== building a busybox image locally (docker-archive)"
go run ./test/fixtures/mkimage -o "$demo/busybox.tar" -tag docker.io/library/busybox:latest
chmod -R a+rX "$demo"
[ "$(id -u)" = 0 ] && chown -R rrun-test "$demo"

script='set -e
cd '"$demo"'
export XDG_DATA_HOME='"$demo"'/data XDG_RUNTIME_DIR= 
echo "== rrun load -i busybox.tar"
./rrun load -q -i busybox.tar
./rrun images
echo "== rrun run --rm busybox sh -c ..."
set +e
./rrun run --rm busybox sh -c "echo hello from a rootless container; echo uid=\$(id -u) hostname=\$(hostname); echo uid_map:; cat /proc/self/uid_map; echo FOO=\$FOO; echo processes:; ps; exit 3"
echo "== exit status: $? (the container said exit 3)"
./rrun unshare rm -rf '"$demo"'/data
'
if [ "$(id -u)" = 0 ]; then
  su rrun-test -s /bin/bash -c "$script"
else
  bash -c "$script"
fi
rm -rf "$demo"
