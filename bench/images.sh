#!/usr/bin/env bash
# Image work against podman, alternating A and B (FACTS.md "Benchmarking
# here"), medians and ratios:
#   load:  `rrun load` vs `podman load` of the Debian minbase docker-archive
#   pull:  `rrun pull` vs `podman pull` of the same image from a loopback registry
#   io:    inside a container, per backend (rrun overlay, fuse-overlayfs, vfs;
#          podman overlay): copy /usr into the container layer, write 10k files
# As root it builds what it needs and runs everything as the user rrun-test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
if [ "$(id -u)" = 0 ]; then
  "$here/test/setup-host.sh"
  "$here/test/fixtures/debian-minbase.sh"
  command -v podman >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null; }
  export PATH=/usr/local/go/bin:$PATH
  out=$(mktemp -d /var/tmp/rrun-bench-images.XXXXXX)
  (cd "$here" && go build -tags "$(make -s print-tags)" -o "$out/rrun" ./cmd/rrun && go build -o "$out/rrun-nsinit" ./cmd/rrun-nsinit && go build -o "$out/registry" ./bench/registry \
    && go build -o "$out/mkimage" ./test/fixtures/mkimage)
  chmod -R a+rX "$out"; chmod 777 "$out"
  su rrun-test -s /bin/bash -c "RUNS=$RUNS BENCH_DIR=$out BENCH_TMPFS=${BENCH_TMPFS:-} BENCH_ONLY=${BENCH_ONLY:-} bash '$here/bench/images.sh'"
  rm -rf "$out"
  exit 0
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun, registry and mkimage}
archive=$("$d/mkimage" -debian)
image=docker.io/library/debian-minbase:bookworm
# BENCH_TMPFS=1 puts every store on tmpfs, away from the disk's drift.
work=$(mktemp -d "$([ "${BENCH_TMPFS:-}" = 1 ] && echo /dev/shm || echo "$d")/work.XXXXXX")
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
cat > "$XDG_CONFIG_HOME/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
rootless_storage_path = "$work/podman"
CONF
"$d/registry" > "$work/registry.addr" & regpid=$!
trap 'kill $regpid 2>/dev/null; "$d/rrun" unshare rm -rf "$work" 2>/dev/null; rm -rf "$work"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$work/registry.addr" ] && break; sleep 0.2; done
ref=$(cat "$work/registry.addr")/library/debian-minbase:bookworm

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
rrun_fresh() { "$d/rrun" unshare rm -rf "$work/rrun-data" >/dev/null 2>&1 || true; }
podman_fresh() { podman unshare rm -rf "$work/podman" >/dev/null 2>&1 || true; }
R() { XDG_DATA_HOME=$work/rrun-data "$d/rrun" "$@"; }

# Seed the registry from a store of its own.
XDG_DATA_HOME=$work/seed "$d/rrun" load -q -i "$archive" >/dev/null
XDG_DATA_HOME=$work/seed "$d/rrun" tag "$image" "$ref"
XDG_DATA_HOME=$work/seed "$d/rrun" push -q --tls-verify=false "$ref" >/dev/null

: > "$work/load.rrun"; : > "$work/load.podman"; : > "$work/pull.rrun"; : > "$work/pull.podman"
rrun_load() { rrun_fresh; R info >/dev/null; t0=$(now); R load -q -i "$archive" >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/load.rrun"; }
podman_load() { podman_fresh; t0=$(now); podman load -q -i "$archive" >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/load.podman"; }
rrun_pull() { rrun_fresh; R info >/dev/null; t0=$(now); R pull -q --tls-verify=false "$ref" >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/pull.rrun"; }
podman_pull() { podman_fresh; t0=$(now); podman pull -q --tls-verify=false "$ref" >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/pull.podman"; }
for i in $(seq "$RUNS"); do
  # A B in odd rounds, B A in even ones: a drifting disk favours neither.
  if [ $((i % 2)) = 1 ]; then rrun_load; podman_load; rrun_pull; podman_pull
  else podman_load; rrun_load; podman_pull; rrun_pull; fi
done
report() { # name a b
  local a b; a=$(median < "$work/$1.rrun"); b=$(median < "$work/$1.podman")
  printf '%-6s rrun %6d ms   podman %6d ms   rrun/podman %.2f   (median of %d, runs: %s | %s)\n' "$1" "$a" "$b" \
    "$(echo "$a $b" | awk '{print $1/$2}')" "$RUNS" "$(tr '\n' ' ' < "$work/$1.rrun")" "$(tr '\n' ' ' < "$work/$1.podman")"
}
report load; report pull
[ "${BENCH_ONLY:-}" = transfer ] && exit 0

# I/O inside a container: each backend's store holds the image once.
io_script='s=$(date +%s%N); mkdir /copy && tar -C /usr -cf - . | tar -C /copy -xf -; m=$(date +%s%N);
mkdir /small && cd /small && for i in $(seq 10000); do echo x > f$i; done; e=$(date +%s%N);
echo $(( (m-s)/1000000 )) $(( (e-m)/1000000 ))'
for b in overlay fuse-overlayfs vfs; do XDG_DATA_HOME=$work/io "$d/rrun" --storage $b load -q -i "$archive" >/dev/null; done
podman_fresh; podman load -q -i "$archive" >/dev/null
for b in overlay fuse-overlayfs vfs podman; do : > "$work/io.$b"; done
for i in $(seq "$RUNS"); do
  for b in overlay fuse-overlayfs vfs; do
    XDG_DATA_HOME=$work/io "$d/rrun" --storage $b run --rm "$image" bash -c "$io_script" >> "$work/io.$b"
  done
  podman run --rm --network none "$image" bash -c "$io_script" >> "$work/io.podman"
done
base_untar=$(cut -d' ' -f1 "$work/io.overlay" | median); base_small=$(cut -d' ' -f2 "$work/io.overlay" | median)
for b in overlay fuse-overlayfs vfs podman; do
  u=$(cut -d' ' -f1 "$work/io.$b" | median); s=$(cut -d' ' -f2 "$work/io.$b" | median)
  printf 'io %-15s copy /usr %6d ms (%.2fx)   10k files %6d ms (%.2fx)   vs rrun overlay\n' "$b" "$u" \
    "$(echo "$u $base_untar" | awk '{print $1/$2}')" "$s" "$(echo "$s $base_small" | awk '{print $1/$2}')"
done
