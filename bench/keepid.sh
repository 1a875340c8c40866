#!/usr/bin/env bash
# --userns=keep-id of the Debian minbase image against podman's
# (`podman run --userns=keep-id`), both on native overlay stores: the first
# keep-id run after a load (rrun: fuse-overlayfs shifts the ids, nothing is
# copied, and a niced background copier makes mapped layer copies; podman:
# chowns a copy of the image), the second one (rrun: still fuse-overlayfs
# while the copier works), a plain run for reference, and (rrun only) a
# keep-id run once the copies are ready (native overlay over them). Rounds alternate A B / B A (FACTS.md "Benchmarking
# here"); every round starts from fresh stores. Reports medians and ratios,
# then later keep-id runs against plain runs in one hyperfine run (LATER=10);
# or says the podman figures are invalid (bench/lib.sh: conmon's timeout, a
# later run slower than PEER_MAX_MS) and reports no ratio.
# As root it builds what it needs and runs everything as the user rrun-test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
if [ "$(id -u)" = 0 ]; then
  "$here/test/setup-host.sh"
  "$here/test/fixtures/debian-minbase.sh"
  export PATH=/usr/local/go/bin:$PATH
  out=$(mktemp -d /var/tmp/rrun-bench-keepid.XXXXXX)
  (cd "$here" && go build -tags "$(make -s print-tags)" -o "$out/rrun" ./cmd/rrun && go build -o "$out/rrun-nsinit" ./cmd/rrun-nsinit && go build -o "$out/mkimage" ./test/fixtures/mkimage)
  chmod -R a+rX "$out"; chmod 777 "$out"
  su rrun-test -s /bin/bash -c "RUNS=$RUNS LATER=${LATER:-10} PEER_MAX_MS=${PEER_MAX_MS:-10000} BENCH_DIR=$out bash '$here/bench/keepid.sh'"
  rm -rf "$out"
  exit 0
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun and mkimage}
. "$here/bench/lib.sh"
archive=$("$d/mkimage" -debian)
image=docker.io/library/debian-minbase:bookworm
work=$(mktemp -d "$d/work.XXXXXX")
bench_podman_env "$work"
trap '"$d/rrun" unshare rm -rf "$work" 2>/dev/null; podman unshare rm -rf "$work/podman" 2>/dev/null; bench_podman_cleanup; rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
R() { XDG_DATA_HOME=$work/rrun-data "$d/rrun" --storage overlay "$@"; }
timed() { # file cmd...
  local f=$1 t0 t1; shift; t0=$(now); "$@" >/dev/null; t1=$(now); ms "$t0" "$t1" >> "$work/$f"
}
rrun_round() {
  "$d/rrun" unshare rm -rf "$work/rrun-data" >/dev/null 2>&1 || true
  R load -q -i "$archive" >/dev/null
  timed first.rrun R run --rm --network none --userns=keep-id "$image" true
  timed second.rrun R run --rm --network none --userns=keep-id "$image" true
  timed plain.rrun R run --rm --network none "$image" true
  wait_copies
  timed copied.rrun R run --rm --network none --userns=keep-id "$image" true
}
# wait_copies waits for rrun's background copier (rrun info) to finish.
wait_copies() {
  local t0; t0=$(now)
  until [[ $(R info 2>/dev/null) == *"being made for 0"* ]]; do sleep 0.2; done # not grep -q: pipefail
  echo "background copies ready $(ms "$t0" "$(now)") ms after the plain run" >> "$work/copier"
}
podman_round() {
  [ -n "$peer_invalid" ] && return 0
  podman unshare rm -rf "$work/podman" >/dev/null 2>&1 || true
  podman load -q -i "$archive" >/dev/null
  timed first.podman podman run --rm --network none --userns=keep-id "$image" true
  timed second.podman podman run --rm --network none --userns=keep-id "$image" true
  timed plain.podman podman run --rm --network none "$image" true
  # A first keep-id run may take long (podman chowns a copy of the image);
  # the later ones must not.
  bench_peer_ok "$(tail -n1 "$work/second.podman")" podman >> "$work/invalid" &&
    bench_peer_ok "$(tail -n1 "$work/plain.podman")" podman >> "$work/invalid" || peer_invalid=1
}
peer_invalid=
: > "$work/copied.rrun"; : > "$work/copier"
for f in first second plain; do : > "$work/$f.rrun"; : > "$work/$f.podman"; done
podman load -q -i "$archive" >/dev/null
bench_podman_check "$image" > "$work/invalid" || peer_invalid=1
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then rrun_round; podman_round; else podman_round; rrun_round; fi
done
# later_runs: keep-id runs after the first against plain runs, LATER runs
# each (default 10) in one hyperfine run: single timed runs on a loaded
# machine are too noisy for the "within 10% of a plain run" goal.
later_runs() {
  command -v hyperfine >/dev/null || { echo "later runs: hyperfine not installed"; return 0; }
  local rr="env XDG_DATA_HOME=$work/rrun-data $d/rrun --storage overlay run --rm --network none" pr="podman run --rm --network none"
  local cmds=(-n rrun-keepid "$rr --userns=keep-id $image true" -n rrun-plain "$rr $image true")
  [ -z "$peer_invalid" ] && cmds+=(-n podman-keepid "$pr --userns=keep-id $image true" -n podman-plain "$pr $image true")
  hyperfine -N --warmup 1 --runs "${LATER:-10}" --export-json "$work/later.json" "${cmds[@]}" >/dev/null
  python3 - "$work/later.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for n, x in r.items():
    print("later   %-13s median %6.0f ms  mean %6.0f ± %3.0f ms" % (n, x["median"] * 1e3, x["mean"] * 1e3, x["stddev"] * 1e3))
print("rrun later keep-id run / plain run (medians): %.2f" % (r["rrun-keepid"]["median"] / r["rrun-plain"]["median"]))
if "podman-keepid" in r:
    print("podman later keep-id run / plain run (medians): %.2f" % (r["podman-keepid"]["median"] / r["podman-plain"]["median"]))
PY
}
report() { # name
  local a b; a=$(median < "$work/$1.rrun")
  if [ -n "$peer_invalid" ]; then
    printf '%-7s rrun %6d ms   podman invalid   (median of %d, runs: %s)\n' "$1" "$a" "$RUNS" "$(tr '\n' ' ' < "$work/$1.rrun")"
    return
  fi
  b=$(median < "$work/$1.podman")
  printf '%-7s rrun %6d ms   podman %6d ms   rrun/podman %.2f   (median of %d, runs: %s | %s)\n' "$1" "$a" "$b" \
    "$(echo "$a $b" | awk '{print $1/$2}')" "$RUNS" "$(tr '\n' ' ' < "$work/$1.rrun")" "$(tr '\n' ' ' < "$work/$1.podman")"
}
report first; report second; report plain
cat "$work/copier"
c=$(median < "$work/copied.rrun")
printf 'rrun keep-id run once the copies are ready %6d ms (median of %d, runs: %s)\n' "$c" "$RUNS" "$(tr '\n' ' ' < "$work/copied.rrun")"
[ -n "$peer_invalid" ] && { cat "$work/invalid"; echo "no rrun/podman ratio: the podman figures are not valid on this host"; }
a=$(median < "$work/second.rrun"); p=$(median < "$work/plain.rrun")
printf 'rrun second keep-id run / plain run: %.2f\n' "$(echo "$a $p" | awk '{print $1/$2}')"
printf 'rrun keep-id run once the copies are ready / plain run: %.2f\n' "$(echo "$c $p" | awk '{print $1/$2}')"
later_runs
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
