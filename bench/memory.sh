#!/usr/bin/env bash
# Resident memory per detached container, for 1 and N (default 50) `run -d
# busybox sleep` in one run: rrun (through the session holder, --network
# none) and podman (crun, --network none), the sum of RSS of every process
# each tool keeps (rrun: monitors — rrun-monitor, or the rrun binary where
# it stays — and, apart, the holder, the warm plugins and the holder's
# pre-started pool; podman: conmons +
# pause), divided by the count. As root it runs itself as rrun-test (as
# run-vs-peers.sh does; set BENCH_DIR to skip the setup).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-50}
if [ "$(id -u)" = 0 ]; then
  out=$(mktemp -d /tmp/rrun-mem.XXXXXX)
  make -s -C "$here" build && cp "$here/bin/rrun" "$here/bin/rrun-nsinit" "$here/bin/rrun-monitor" "$out/"
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

# rss_of PATTERN: the summed RSS and PSS (kB, "RSS PSS") of this user's
# processes whose command line matches and that belong to this benchmark
# (its home in their command line or environment: other rrun commands of
# the user do not count). PSS shares a page among the processes that map
# it: the binary's pages of 50 monitors (or conmons) count once.
rss_of() {
  local sum=0 pss=0 pid rss args p
  while read -r pid rss args; do
    [[ $args =~ $1 ]] || continue
    [[ $args == *"$home"* ]] || { tr '\0' '\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -q "$home" || continue
    sum=$((sum + rss))
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null)
    pss=$((pss + ${p:-0}))
  done < <(ps -u "$(id -u)" -o pid=,rss=,args=)
  echo "$sum $pss"
}

# measure COUNT: start COUNT detached containers with each tool, report,
# remove them.
measure() {
  local n=$1 i mon monp holder holderp pool poolp plugins pluginsp conmon conmonp pause pausep
  for i in $(seq "$n"); do "$d/rrun" run -d --network none busybox sleep 600 >/dev/null; done
  read -r mon monp < <(rss_of "rrun-monitor|__monitor"); read -r holder holderp < <(rss_of "__holder")
  read -r plugins pluginsp < <(rss_of "__plugin"); read -r pool poolp < <(rss_of "__prefork")
  "$d/rrun" rm -f $("$d/rrun" ps -q) >/dev/null
  for i in $(seq "$n"); do podman run -d --network none busybox sleep 600 >/dev/null; done
  read -r conmon conmonp < <(rss_of "^/usr/bin/conmon")
  read -r pause pausep < <(rss_of "catatonit|podman pause|rootlessport") # its environment names this home
  podman rm -f -t 0 -a >/dev/null 2>&1 || true
  echo "resident memory, $n detached containers (kB, RSS / PSS): load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "  rrun:   monitors $mon / $monp ($((mon / n)) / $((monp / n)) per container), holder $holder / $holderp, warm plugins $plugins / $pluginsp, pre-started pool $pool / $poolp (these exit when idle)"
  echo "          per container with the plugins $(((mon + holder + plugins) / n)) / $(((monp + holderp + pluginsp) / n)); once they are idle $(((mon + holder) / n)) / $(((monp + holderp) / n))"
  echo "  podman: conmons $conmon / $conmonp ($((conmon / n)) / $((conmonp / n)) per container), pause $pause / $pausep; per container $(((conmon + pause) / n)) / $(((conmonp + pausep) / n))"
}
measure 1
measure "$N"
"$d/rrun" system migrate >/dev/null
"$d/rrun" unshare rm -rf "$home/data"
podman system reset -f >/dev/null 2>&1 || true
rm -rf "$home"
