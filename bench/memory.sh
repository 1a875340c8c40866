#!/usr/bin/env bash
# Resident memory per detached container: N (default 50) `run -d busybox
# sleep` for rrun (through the session holder, --network none) and podman
# (crun, --network none), the sum of RSS of every process each tool keeps
# (rrun: monitors + holder + warm plugins, reported apart; podman: conmons +
# pause), divided by N. As root it runs itself as rrun-test (as
# run-vs-peers.sh does; set BENCH_DIR to skip the setup).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-50}
if [ "$(id -u)" = 0 ]; then
  out=$(mktemp -d /tmp/rrun-mem.XXXXXX)
  make -s -C "$here" build && cp "$here/bin/rrun" "$here/bin/rrun-nsinit" "$out/"
  (cd "$here" && go run ./test/fixtures/mkimage -o "$out/busybox.tar" -tag docker.io/library/busybox:latest)
  chmod -R a+rX "$out"
  su rrun-test -s /bin/bash -c "N=$N BENCH_DIR=$out bash '$here/bench/memory.sh'"
  rm -rf "$out"
  exit 0
fi
d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun and busybox.tar}
home=$(mktemp -d /tmp/rrun-mem-home.XXXXXX)
export XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_RUNTIME_DIR=$home/run
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
printf '[storage]\ndriver = "overlay"\nrootless_storage_path = "%s/podman"\n' "$home" > "$XDG_CONFIG_HOME/containers/storage.conf"
"$d/rrun" load -q -i "$d/busybox.tar" >/dev/null
podman load -q -i "$d/busybox.tar" >/dev/null

# rss_of PATTERN: the summed RSS (kB) of this user's processes whose command
# line matches and that belong to this benchmark (its home in their
# command line or environment: other rrun commands of the user do not count).
rss_of() {
  local sum=0 pid rss args
  while read -r pid rss args; do
    [[ $args =~ $1 ]] || continue
    [[ $args == *"$home"* ]] || tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -q "$home" || continue
    sum=$((sum + rss))
  done < <(ps -u "$(id -u)" -o pid=,rss=,args=)
  echo "$sum"
}

for i in $(seq "$N"); do "$d/rrun" run -d --network none busybox sleep 600 >/dev/null; done
mon=$(rss_of "__monitor"); holder=$(rss_of "__holder"); plugins=$(rss_of "__plugin")
for i in $(seq "$N"); do podman run -d --network none busybox sleep 600 >/dev/null; done
conmon=$(rss_of "^/usr/bin/conmon"); pause=$(home=/ rss_of "catatonit|podman pause|rootlessport")
echo "resident memory, $N detached containers (kB): load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  rrun:   monitors $mon ($((mon / N)) per container), holder $holder, warm plugins $plugins; per container $(((mon + holder + plugins) / N))"
echo "  podman: conmons $conmon ($((conmon / N)) per container), pause $pause; per container $(((conmon + pause) / N))"
"$d/rrun" rm -f $("$d/rrun" ps -q) >/dev/null
podman rm -f -t 0 -a >/dev/null 2>&1 || true
"$d/rrun" system migrate >/dev/null
"$d/rrun" unshare rm -rf "$home/data"
podman system reset -f >/dev/null 2>&1 || true
rm -rf "$home"
