#!/usr/bin/env bash
# `rrun build` against `podman build` (buildah) on the same Dockerfile and
# context, alternating A and B (FACTS.md "Benchmarking here"), medians and
# ratios:
#   cold:    --no-cache, base image in the store
#   cached:  the same build again (every step cached)
#   changed: one source file changed: the steps from its COPY on run again
# The Dockerfile: FROM busybox, a RUN that writes 2k files, COPY of a
# 200-file source tree, a RUN that reads it, metadata steps.
# As root it builds what it needs and runs everything as the user rrun-test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
if [ "$(id -u)" = 0 ]; then
  "$here/test/setup-host.sh"
  command -v podman >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null; }
  export PATH=/usr/local/go/bin:$PATH
  out=$(mktemp -d /var/tmp/rrun-bench-build.XXXXXX)
  (cd "$here" && go build -tags "$(make -s print-tags)" -o "$out/rrun" ./cmd/rrun && go build -o "$out/rrun-nsinit" ./cmd/rrun-nsinit \
    && go run ./test/fixtures/mkimage -o "$out/busybox.tar" -tag docker.io/library/busybox:latest)
  chmod -R a+rX "$out"; chmod 777 "$out"
  su rrun-test -s /bin/bash -c "RUNS=$RUNS BENCH_DIR=$out bash '$here/bench/build.sh'"
  rm -rf "$out"
  exit 0
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun and busybox.tar}
work=$(mktemp -d "$d/work.XXXXXX")
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/rrun-data
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
cat > "$XDG_CONFIG_HOME/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
rootless_storage_path = "$work/podman"
CONF
P() { podman --cgroup-manager=cgroupfs --events-backend=file "$@"; }
# podman's pause process (its user namespace) is ours to stop, by its pid.
stop_pause() { local p; p=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "$p" 2>/dev/null; true; }
trap '"$d/rrun" unshare rm -rf "$work" 2>/dev/null; P unshare rm -rf "$work" 2>/dev/null; stop_pause; rm -rf "$work"' EXIT

ctx=$work/ctx
mkdir -p "$ctx/src"
for i in $(seq 200); do printf 'file %d\n' "$i" > "$ctx/src/f$i.txt"; done
cat > "$ctx/Dockerfile" <<'DF'
FROM busybox
ENV APP=/app
WORKDIR /app
RUN mkdir gen && for i in $(seq 2000); do echo $i > gen/$i; done
COPY src/ ./src/
RUN cat src/* | wc -l > lines && ls gen | wc -l >> lines
LABEL bench=build
CMD ["cat", "/app/lines"]
DF

"$d/rrun" load -q -i "$d/busybox.tar" >/dev/null
P load -q -i "$d/busybox.tar" >/dev/null

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
timed() { # file cmd...
  local f=$1; shift
  local t0; t0=$(now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; ms "$t0" "$(now)" >> "$work/$f"
}
rrun_build() { timed "$1.rrun" "$d/rrun" build --network none $2 -t bench "$ctx"; }
podman_build() { timed "$1.podman" P build --network none --layers $2 -t bench "$ctx"; }
round() { # tool
  "$1"_build cold --no-cache
  "$1"_build cached ""
  echo "changed $RANDOM" > "$ctx/src/f1.txt"
  "$1"_build changed ""
}
for i in $(seq "$RUNS"); do
  # A B in odd rounds, B A in even ones: a drifting disk favours neither.
  if [ $((i % 2)) = 1 ]; then round rrun; round podman; else round podman; round rrun; fi
done
report() { # name
  local a b; a=$(median < "$work/$1.rrun"); b=$(median < "$work/$1.podman")
  printf '%-8s rrun %6d ms   podman %6d ms   rrun/podman %.2f   (median of %d, runs: %s | %s)\n' "$1" "$a" "$b" \
    "$(echo "$a $b" | awk '{print $1/$2}')" "$RUNS" "$(tr '\n' ' ' < "$work/$1.rrun")" "$(tr '\n' ' ' < "$work/$1.podman")"
}
report cold; report cached; report changed
