# Shared set-up of the bench/ scripts for podman as a peer, sourced by them
# (as the unprivileged user) after they have made their work dir.
#
# The podman configuration that runs normally on this kind of machine
# (Debian 12, podman 4.3.1, conmon 2.1.6, crun 1.8.1, hybrid cgroups, no
# systemd), each point seen here:
#   - XDG_RUNTIME_DIR (podman's runroot and crun's state live below it)
#     must be short: with 39 characters `podman run --rm busybox true` takes
#     ~1 s; with 40 or more every run waits conmon's 20 s timeout
#     ("Exceeded conmon timeout waiting for container to exit" at
#     --log-level=debug), then succeeds. The store (rootless_storage_path)
#     may be long. --log-level=debug alone also makes every run wait the
#     timeout, whatever the paths. A run dir inside a mktemp dir
#     inside another one (/var/tmp/rrun-bench-keepid.XXXXXX/work.XXXXXX/run)
#     is over the limit; bench_podman_env uses /tmp/rb.XXXXXX/run.
#   - storage: `driver = "overlay"` (podman picks vfs for a new user) and
#     `rootless_storage_path` (rootless podman ignores graphroot).
#   - cgroup_manager "cgroupfs" and events_logger "file": what podman picks
#     anyway without systemd; written down so a host with a user systemd
#     gets the same. Conmon cannot join a cgroup on cgroup v1 (an info line
#     at debug level only); that costs nothing.
#   - crun refuses the hybrid cgroup layout until hugetlb is moved off the
#     v2 mount (test/setup-host.sh and bench/run-vs-peers.sh do it as root).

# bench_podman_env DIR: points podman (and rrun, through XDG_RUNTIME_DIR)
# at a short run dir and DIR's config and stores. Sets BENCH_RUNDIR_BASE,
# which bench_podman_cleanup removes.
bench_podman_env() {
  local dir=$1
  BENCH_RUNDIR_BASE=$(mktemp -d /tmp/rb.XXXXXX)
  export XDG_RUNTIME_DIR=$BENCH_RUNDIR_BASE/run XDG_CONFIG_HOME=$dir/config
  if [ ${#XDG_RUNTIME_DIR} -ge 40 ]; then
    echo "bench: XDG_RUNTIME_DIR $XDG_RUNTIME_DIR is too long for podman's conmon (< 40 characters)" >&2
    return 1
  fi
  mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/containers" && chmod 700 "$XDG_RUNTIME_DIR"
  cat > "$XDG_CONFIG_HOME/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
rootless_storage_path = "$dir/podman"
CONF
  cat > "$XDG_CONFIG_HOME/containers/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
}

# bench_podman_cleanup: stops podman's pause process (by its pid: it is
# ours) and removes the short run dir.
bench_podman_cleanup() {
  local p
  p=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "$p" 2>/dev/null
  [ -n "${BENCH_RUNDIR_BASE:-}" ] && rm -rf "$BENCH_RUNDIR_BASE"
  true
}

# bench_podman_check IMAGE: one `podman run --rm --network none IMAGE true`.
# Prints why and returns 1 when podman does not run normally here (an
# error, or slower than PEER_MAX_MS: conmon's 20 s timeout, see above): the
# peer's figures would be invalid. Not at --log-level=debug, which alone
# makes every run wait the timeout here (conmon then logs to syslog, and
# this machine has no syslog daemon).
bench_podman_check() {
  local log t0 t1
  log=$(mktemp)
  t0=$(date +%s%N)
  if ! podman run --rm --network none "$1" true > "$log" 2>&1; then
    echo "podman peer invalid: podman run failed: $(grep -m1 -i 'error' "$log")"; rm -f "$log"; return 1
  fi
  t1=$(date +%s%N)
  rm -f "$log"
  bench_peer_ok $(( (t1 - t0) / 1000000 )) podman
}

# bench_peer_ok MS NAME: returns 1, saying so, when one run of the peer
# took longer than PEER_MAX_MS (default 10000): no ratio is reported then.
bench_peer_ok() {
  if [ "$1" -gt "${PEER_MAX_MS:-10000}" ]; then
    echo "$2 peer invalid: one run took $1 ms (> ${PEER_MAX_MS:-10000} ms: conmon's timeout? see bench/lib.sh)"
    return 1
  fi
}
