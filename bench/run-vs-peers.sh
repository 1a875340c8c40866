#!/usr/bin/env bash
# `rrun run --rm busybox true` (native and --isolation oci) against `podman run --rm --network none` (crun,
# native overlay) and bwrap on the same busybox rootfs, in one hyperfine run.
# Prints medians and ratios. As root it installs the peers, applies the host
# fixes crun needs (FACTS.md) and runs everything as the user rrun-test,
# whose run dir (XDG_RUNTIME_DIR) it makes a tmpfs, as a login session has.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-30}
if [ "$(id -u)" = 0 ]; then
  "$here/test/setup-host.sh"
  for p in podman crun bubblewrap hyperfine python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="${need:-} $p"
  done
  [ -n "${need:-}" ] && { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; }
  # crun refuses the hybrid cgroup layout while hugetlb sits on the v2 mount.
  if [ -d /sys/fs/cgroup/unified ] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
  fi
  export PATH=/usr/local/go/bin:$PATH
  make -s -C "$here" build
  out=$(mktemp -d /tmp/rrun-bench.XXXXXX)
  cp "$here/bin/rrun" "$here/bin/rrun-nsinit" "$here/bin/rrun-monitor" "$out/"
  (cd "$here" && go run ./test/fixtures/mkimage -o "$out/busybox.tar" -tag docker.io/library/busybox:latest \
     && go run ./test/fixtures/mkimage -rootfs "$out/rootfs")
  chmod -R a+rX "$out"
  # The user's run dir is a tmpfs, as a login session's /run/user/UID is
  # (pam_systemd): XDG_RUNTIME_DIR of rrun and of podman alike. On this
  # kind of VM's journal-less ext4 every inode made and deleted slows the
  # next allocations for a minute or more (docs/internal.md, session 16);
  # BENCH_RUNDIR_ON_DISK=1 measures with it on disk instead.
  home=$(mktemp -d /tmp/rrun-bench-home.XXXXXX)
  mkdir "$home/run"
  if [ "${BENCH_RUNDIR_ON_DISK:-0}" != 1 ]; then
    mount -t tmpfs -o "size=64m,mode=0700,uid=$(id -u rrun-test),gid=$(id -g rrun-test)" rrun-bench-run "$home/run"
  fi
  chown -R rrun-test: "$home" && chmod 700 "$home/run"
  status=0
  su rrun-test -s /bin/bash -c "RUNS=$RUNS BENCH_DIR=$out BENCH_HOME=$home bash '$here/bench/run-vs-peers.sh'" || status=$?
  umount "$home/run" 2>/dev/null || umount -l "$home/run" 2>/dev/null || true
  rm -rf "$out" "$home"
  exit $status
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun, busybox.tar and rootfs/}
home=${BENCH_HOME:-$(mktemp -d /tmp/rrun-bench-home.XXXXXX)}
export XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_RUNTIME_DIR=$home/run
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
cat > "$XDG_CONFIG_HOME/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
rootless_storage_path = "$home/podman"
CONF
"$d/rrun" load -q -i "$d/busybox.tar" >/dev/null
podman load -q -i "$d/busybox.tar" >/dev/null
"$d/rrun" run --rm busybox true && "$d/rrun" --isolation oci run --rm busybox true && podman run --rm --network none busybox true
"$d/rrun" run -d --name bx --network none busybox sleep 600 >/dev/null
podman run -d --name bx --network none busybox sleep 600 >/dev/null
# rrun: warm (the session holder and warm plugins are up: --network none
# joins them) and cold (RRUN_HOLDER=0: a session per command, as before;
# `env` adds ~1 ms).
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$home/result.json" \
  -n rrun "$d/rrun run --rm --network none busybox true" \
  -n rrun-cold "env RRUN_HOLDER=0 $d/rrun run --rm --network none busybox true" \
  -n rrun-exec "$d/rrun exec bx true" \
  -n podman-exec "podman exec bx true" \
  -n rrun-oci "$d/rrun --isolation oci run --rm --network none busybox true" \
  -n podman "podman run --rm --network none busybox true" \
  -n rrun-detached "$d/rrun run -d --rm --network none busybox true" \
  -n podman-detached "podman run -d --rm --network none busybox true" \
  -n rrun-default-net "$d/rrun run --rm busybox true" \
  -n podman-default-net "podman run --rm busybox true" \
  -n bwrap "bwrap --unshare-all --die-with-parent --bind $d/rootfs / --proc /proc --dev /dev --tmpfs /tmp true" >/dev/null
python3 - "$home/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
print("run --rm busybox true, median of %d runs (ms); rrun and podman with --network none:" % len(r["rrun"]["times"]))
for k in ("rrun", "rrun-cold", "rrun-oci", "podman", "bwrap"):
    print("  %-7s %8.1f ms   rrun/%s = %.2f" % (k, med[k], k, med["rrun"] / med[k]))
print("with each tool's default private network (rrun: pasta; podman 4.3: slirp4netns):")
print("  rrun %.1f ms, podman %.1f ms, rrun/podman = %.2f" % (med["rrun-default-net"], med["podman-default-net"],
      med["rrun-default-net"] / med["podman-default-net"]))
print("run -d --rm --network none busybox true (returns once the container runs): rrun %.1f ms, podman %.1f ms, rrun/podman = %.2f" % (
      med["rrun-detached"], med["podman-detached"], med["rrun-detached"] / med["podman-detached"]))
print("exec CONTAINER true: rrun %.1f ms, podman %.1f ms, rrun/podman = %.2f" % (med["rrun-exec"], med["podman-exec"],
      med["rrun-exec"] / med["podman-exec"]))
print("load average while measuring: %s" % open("/proc/loadavg").read().strip())
PY
"$d/rrun" rm -f bx >/dev/null; podman rm -f -t 0 bx >/dev/null
RRUN_TRACE=1 "$d/rrun" run --rm --network none busybox true 2>&1 | sed 's/^/  warm trace: /'
"$d/rrun" system migrate >/dev/null
"$d/rrun" unshare rm -rf "$home/data"
podman system reset -f >/dev/null 2>&1 || true
[ -n "${BENCH_HOME:-}" ] || rm -rf "$home"
