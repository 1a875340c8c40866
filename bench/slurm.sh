#!/usr/bin/env bash
# Container overhead per Slurm step on the two-node test cluster
# (integrations/slurm/test-cluster.sh): `srun -N2 -n2 true` against
# `srun -N2 -n2 --container-image=busybox true` (the SPANK plugin) and
# `srun -N2 -n2 rrun run --rm busybox true` (a full rrun run per task), in
# one hyperfine run, GAP (0.3) s apart. Prints medians and the overheads. As root
# it installs hyperfine, (re)starts the cluster with this checkout's plugin,
# builds rrun and the holder, and runs everything as the user rrun-test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
if [ "$(id -u)" = 0 ]; then
  command -v hyperfine >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
  export PATH=/usr/local/go/bin:$PATH
  "$here/integrations/slurm/test-cluster.sh"
  out=$(mktemp -d /tmp/rrun-bench-slurm.XXXXXX)
  (cd "$here" && go build -tags "$(make -s print-tags)" -o "$out/rrun" ./cmd/rrun &&
    go build -o "$out/rrun-nsinit" ./cmd/rrun-nsinit && make -s monitor && cp bin/rrun-slurm-pause bin/rrun-monitor "$out/" &&
    go run ./test/fixtures/mkimage -o "$out/busybox.tar" -tag docker.io/library/busybox:latest)
  chmod -R a+rX "$out" && chmod 755 "$out"
  su - rrun-test -s /bin/bash -c "cd /tmp && RUNS=$RUNS GAP=${GAP:-0.3} BENCH_DIR=$out bash '$here/bench/slurm.sh'"
  rm -rf "$out"
  exit 0
fi

d=${BENCH_DIR:?run as root, or set BENCH_DIR to a dir with rrun, rrun-slurm-pause and busybox.tar}
export PATH=$d:$PATH
# Each node's store, where the plugin's dir= (plugstack.conf) puts it.
pattern=$(grep -o 'dir=[^ ]*' /etc/slurm/plugstack.conf | cut -d= -f2)
for n in n1 n2; do
  nd=$(echo "$pattern" | sed "s/%U/$(id -u)/; s/%n/$n/")
  mkdir -p "$nd/run" && chmod 700 "$nd/run"
  XDG_DATA_HOME=$nd/data XDG_RUNTIME_DIR=$nd/run rrun load -q -i "$d/busybox.tar" >/dev/null
done
nodestore=$(echo "$pattern" | sed "s/%U/$(id -u)/; s/%n/\$SLURMD_NODENAME/")
json=$(mktemp)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# GAP seconds between steps (hyperfine --prepare, not timed): back to back,
# a step often waits for the last job's completion ("job queued and waiting
# for resources"), which is slurmctld's time, not the step's.
GAP=${GAP:-0.3}
hyperfine -N --runs "$RUNS" --warmup 2 --prepare "sleep $GAP" --export-json "$json" \
  -n plain "srun -N2 -n2 true" \
  -n plugin "srun -N2 -n2 --container-image=busybox true" \
  -n rrun-run "srun -N2 -n2 sh -c 'XDG_DATA_HOME=$nodestore/data XDG_RUNTIME_DIR=$nodestore/run rrun run --rm busybox true'" >/dev/null
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
for k in ("plain", "plugin", "rrun-run"):
    print(f"{k:10s} median {med[k]:8.1f} ms  (min {r[k]['min']*1000:.1f}, max {r[k]['max']*1000:.1f})")
print(f"overhead of --container-image over plain srun: {med['plugin'] - med['plain']:+.1f} ms per step")
print(f"overhead of srun rrun run --rm over plain srun: {med['rrun-run'] - med['plain']:+.1f} ms per step")
PY
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$json"
