#!/usr/bin/env bash
# make fuzz: runs every fuzz target of the tree, one at a time, for
# FUZZTIME each (default 30s). Targets are found, not listed: any
# `func FuzzXxx` in a _test.go file of a package is run. The targets are
# pure parsers (no namespaces), so they may run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
TAGS=${TAGS:-$(make -s print-tags)}
GO=${GO:-go}

# Packages with a fuzz function; `go test -list` then names their targets.
pkgs=$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
[ -n "$pkgs" ] || { echo "no fuzz targets found" >&2; exit 1; }
status=0
for pkg in $pkgs; do
  targets=$("$GO" test -tags "$TAGS" -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
  for t in $targets; do
    echo "== $pkg $t ($FUZZTIME)"
    "$GO" test -tags "$TAGS" -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" ${FUZZFLAGS:-} "$pkg" || status=1
  done
done
exit $status
