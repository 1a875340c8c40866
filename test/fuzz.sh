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
    "$GO" test -tags "$TAGS" -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$MINIMIZE" ${FUZZFLAGS:-} "$pkg" || status=1
  done
done
exit $status
