#!/usr/bin/env bash
# The whole test suite (README: `make test`). Started as root, it prepares the
# host, then runs every test as the unprivileged user rrun-test (with a
# subuid range) and the single-uid mapping end-to-end tests as rrun-nosub
# (without one): container tests never run as real root.
set -euo pipefail
# Everything is in main, so that bash parses the whole script before running it.
main() {
here=$(cd "$(dirname "$0")/.." && pwd)
TAGS=$(make -s -C "$here" print-tags)
export CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS=-mod=readonly

if [ "$(id -u)" != 0 ]; then
  cd "$here"
  exec go test -tags "$TAGS" -count=1 -timeout 40m ./... "$@"
fi

"$here/test/setup-host.sh"
GO=$(command -v go || echo /usr/local/go/bin/go)
GOROOT_BIN=$(dirname "$GO")

# A copy of the tree the test users can read (a CI clone may sit in /root).
work=$(mktemp -d /var/tmp/rrun-suite.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$here/." "$work/src"
chmod 755 "$work"
# Modules are fetched once, as root, into a cache the users can read.
export GOMODCACHE=/var/cache/rrun-gomod
mkdir -p "$GOMODCACHE"
(cd "$work/src" && "$GO" mod download && "$GO" mod download github.com/google/go-containerregistry)
chmod -R a+rX "$GOMODCACHE" "$work"

as_user() { # user command...
  local user=$1; shift
  su - "$user" -s /bin/bash -c "cd '$work/src' && env PATH='$GOROOT_BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    GOMODCACHE='$GOMODCACHE' GOFLAGS='-mod=readonly -buildvcs=false' GOTOOLCHAIN=local CGO_ENABLED=1 GOPROXY=off CI='${CI:-}' $*"
}

extra=""
[ $# -gt 0 ] && extra=$(printf '%q ' "$@")
status=0
echo "== test suite as rrun-test (subuid range)"
# The isolation conformance suite also runs against a built rrun binary.
mkdir -m 1777 "$work/bin"
as_user rrun-test go build -tags "'$TAGS'" -o "'$work/bin/rrun'" ./cmd/rrun || status=1
as_user rrun-test go build -o "'$work/bin/rrun-nsinit'" ./cmd/rrun-nsinit || status=1
as_user rrun-test make -s monitor MONITOR_OUT="'$work/bin/rrun-monitor'" || status=1
as_user rrun-test RRUN_BINARY="'$work/bin/rrun'" go test -tags "'$TAGS'" -count=1 -timeout 40m "${RRUN_TEST_PKGS:-./...}" $extra || status=1
echo "== single-uid mapping end-to-end tests as rrun-nosub (no subuid range)"
as_user rrun-nosub go test -tags "'$TAGS'" -count=1 -timeout 20m ./test/e2e -run "'NoSubuid'" -v $extra || status=1
exit $status
}
main "$@"
