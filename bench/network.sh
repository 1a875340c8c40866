#!/usr/bin/env bash
# Rootless networking: (1) `rrun run --rm busybox true` per --network mode
# (what a session costs with each), (2) TCP throughput from the host into a
# container through a published port, per mode, against podman's rootless
# networks on the same machine. Medians and ratios. As root it installs the
# peers and runs everything as the user rrun-test (see run-vs-peers.sh).
# Traffic goes only to 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20} MIB=${MIB:-512} ROUNDS=${ROUNDS:-5}
if [ "$(id -u)" = 0 ]; then
  "$here/test/setup-host.sh"
  for p in podman crun hyperfine python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="${need:-} $p"
  done
  [ -n "${need:-}" ] && { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; }
  if [ -d /sys/fs/cgroup/unified ] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
  fi
  export PATH=/usr/local/go/bin:$PATH
  make -s -C "$here" build
  out=$(mktemp -d /tmp/rrun-bench.XXXXXX)
  cp "$here/bin/rrun" "$here/bin/rrun-nsinit" "$here/bin/rrun-monitor" "$out/"
  (cd "$here" && go run ./test/fixtures/mkimage -o "$out/busybox.tar" -tag docker.io/library/busybox:latest)
  chmod -R a+rX "$out"
  su rrun-test -s /bin/bash -c "SKIP_START=${SKIP_START:-} RUNS=$RUNS MIB=$MIB ROUNDS=$ROUNDS BENCH_DIR=$out bash '$here/bench/network.sh'"
  rm -rf "$out"
  exit 0
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun and busybox.tar}
home=$(mktemp -d /tmp/rb.XXXXXX) # short: podman puts a socket path below it (< 108 bytes)
export XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_RUNTIME_DIR=$home/run
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
cat > "$XDG_CONFIG_HOME/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
rootless_storage_path = "$home/podman"
CONF
rrun=$d/rrun
cleanup() { "$rrun" rm -f $("$rrun" ps -aq) >/dev/null 2>&1 || true; podman rm -f -a >/dev/null 2>&1 || true
  "$rrun" unshare rm -rf "$home/data"; podman system reset -f >/dev/null 2>&1 || true; rm -rf "$home"; }
trap cleanup EXIT
"$rrun" load -q -i "$d/busybox.tar" >/dev/null
podman load -q -i "$d/busybox.tar" >/dev/null

if [ -z "${SKIP_START:-}" ]; then
echo "== session start: run --rm busybox true, median of $RUNS runs"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$home/start.json" \
  -n host "$rrun run --rm --network host busybox true" \
  -n none "$rrun run --rm --network none busybox true" \
  -n pasta "$rrun run --rm --network pasta busybox true" \
  -n slirp4netns "$rrun run --rm --network slirp4netns busybox true" \
  -n "pasta -p" "$rrun run --rm --network pasta -p 127.0.0.1::80 busybox true" \
  -n "slirp4netns -p" "$rrun run --rm --network slirp4netns -p 127.0.0.1::80 busybox true" \
  -n "podman slirp4netns" "podman run --rm busybox true" >/dev/null
python3 - "$home/start.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
for k, v in r.items():
    print("  %-20s %7.1f ms   /host = %.2f" % (k, v, v / r["host"]))
PY
fi

# send MiB through 127.0.0.1:port to a container that discards it; prints MB/s
send() {
  python3 - "$1" "$MIB" <<'PY'
import socket, sys, time
port, mib = int(sys.argv[1]), int(sys.argv[2])
buf = b"\0" * (1 << 20)

def once():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(buf)  # a port driver may accept before nc listens, then reset
    t = time.monotonic()
    for _ in range(mib - 1):
        s.sendall(buf)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(120)
    while s.recv(65536):
        pass
    return (mib - 1) * 1.048576 / (time.monotonic() - t)

for _ in range(100):
    try:
        print("%.1f" % once())
        break
    except OSError:
        time.sleep(0.1)
PY
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
server='while true; do nc -l -p 5001 >/dev/null; done'
measure() { # name start-command... (the command gets -p PORT:5001 appended before the image)
  local name=$1; shift
  local port; port=$(free_port)
  local id; id=$("$@" -d -p "127.0.0.1:$port:5001" busybox sh -c "$server") || { echo "  $name: failed to start"; return; }
  local rates=()
  for _ in $(seq "$ROUNDS"); do rates+=("$(send "$port")"); done
  "${1}" rm -f "$id" >/dev/null 2>&1 || true
  printf '%s\n' "${rates[@]}" | sort -n | awk -v n="$name" '{a[NR]=$1} END {printf "  %-32s %8.1f MB/s (median of %d)\n", n, a[int((NR+1)/2)], NR}' | tee -a "$home/tput.txt"
}
echo "== TCP throughput host -> container through a published port ($MIB MiB x $ROUNDS)"
: > "$home/tput.txt"
measure "rrun pasta" "$rrun" run --network pasta
measure "rrun slirp4netns (builtin ports)" "$rrun" run --network slirp4netns
measure "podman slirp4netns (rootlesskit)" podman run
measure "podman slirp4netns (slirp ports)" podman run --network slirp4netns:port_handler=slirp4netns
measure "podman pasta" podman run --network pasta
python3 - "$home/tput.txt" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    name, rest = line.strip().rsplit("  ", 1)[0].strip(), line.split()[-5]
    r[name] = float(rest)
base = r.get("podman slirp4netns (rootlesskit)")
if base:
    for k, v in r.items():
        print("  %-32s /podman-default = %.2f" % (k, v / base))
PY
