#!/usr/bin/env bash
# make fuzz: runs every fuzz target of the tree, one at a time, for
# FUZZTIME each (default 30s). Targets are found, not listed: every
# `func FuzzXxx(` in a _test.go file is run. The targets are
# pure parsers (no namespaces), so they may run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
TAGS=${TAGS:-$(make -s print-tags)}
GO=${GO:-go}
# Minimizing each new input is bounded by executions, not the default 60s:
# in storage every dependency (c/image, c/storage) is instrumented, and a
# timed minimization would take a short run's whole budget.
MINIMIZE=${FUZZMINIMIZE:-50x}

# Packages with a fuzz function, and their targets: read from the test
# files rather than `go test -list`, which would build each test binary
# once more (storage's takes minutes on a busy 2-core machine).
pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
[ -n "$pkgs" ] || { echo "no fuzz targets found" >&2; exit 1; }
status=0
for pkg in $pkgs; do
  targets=$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$pkg"/*_test.go)
  for t in $targets; do
    echo "== $pkg $t ($FUZZTIME)"
    # Go's fuzzing coordinator can report its own deadline ("context
    # deadline exceeded", no failing input) when the time is up while a
    # worker of a loaded machine is still busy: that is no finding, and
    # the target runs once more. A real finding writes its failing input
    # and replays from it: it fails again.
    for try in 1 2; do
      out=$("$GO" test -tags "$TAGS" -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$MINIMIZE" ${FUZZFLAGS:-} "$pkg" 2>&1) && { echo "$out"; break; }
      echo "$out"
      if [ $try = 1 ] && grep -q "context deadline exceeded" <<<"$out" && ! grep -q "Failing input written" <<<"$out"; then
        echo "== $pkg $t: the fuzzing coordinator's deadline, not a finding: once more"
        continue
      fi
      status=1
      break
    done
  done
done
exit $status
