package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// monitorGone waits until container id has no monitor left: its owner lock
// is free (the lock passes from rrun __monitor to rrun-monitor and back to
// rrun __monitor --resume, which applies --restart) and no monitor process
// names it. A process's command line alone misses a monitor in the middle
// of its execve, when /proc/PID/cmdline is empty.
func (e *env) monitorGone(id string) {
	e.t.Helper()
	lock := filepath.Join(e.home, "data", "rrun", "containers", id, "owner.lock")
	deadline := time.Now().Add(30 * time.Second)
	for {
		alive := ofdLockHeld(lock)
		for _, pid := range pids() {
			if c := cmdline(pid); (strings.Contains(c, "__monitor") || strings.HasPrefix(c, "rrun-monitor")) && strings.Contains(c, id) {
				alive = true
			}
		}
		if !alive {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the monitor of %s still runs", id[:12])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ofdLockHeld reports whether a process holds a write lock on path (an OFD
// lock, as host/state's owner lock), without taking it.
func ofdLockHeld(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	return unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk) == nil && lk.Type != unix.F_UNLCK
}

// --restart on-failure:N starts a failing container N more times; always
// restarts until the user stops it; --restart with --rm is refused.
func TestCLIRestartPolicies(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3")
	e.monitorGone(id)
	if n := strings.Count(e.ok("logs", id).stdout, "run\n"); n != 3 {
		t.Errorf("on-failure:2 must run the container 3 times, ran %d", n)
	}
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", id).stdout); got != "exited 3 on-failure:2" {
		t.Errorf("inspect after on-failure: %q", got)
	}
	ok := e.detached("--restart", "on-failure", "busybox", "sh", "-c", "echo fine")
	e.monitorGone(ok)
	if n := strings.Count(e.ok("logs", ok).stdout, "fine\n"); n != 1 {
		t.Errorf("on-failure must not restart a container that exits 0: ran %d times", n)
	}
	always := e.detached("--restart", "always", "busybox", "sh", "-c", "echo up; sleep 0.2")
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(e.ok("logs", always).stdout, "up\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("always must restart the container: %q", e.ok("logs", always).stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.ok("stop", always)
	e.monitorGone(always)
	// A stop at any point of the restart cycle (a run, its exit being
	// handed back to rrun, the back-off, the next run starting) succeeds
	// and is the last word: a stop that met the hand-back failed with "the
	// container's monitor hung up".
	for i := 0; i < 6; i++ {
		e.ok("start", always)
		time.Sleep(time.Duration(i*70) * time.Millisecond)
		e.ok("stop", always)
		e.monitorGone(always)
		if got := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}}", always).stdout); got != "exited" {
			t.Errorf("inspect after stop %d: %q, want exited", i, got)
		}
	}
	if r := e.run("", "run", "--rm", "--restart", "always", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "--restart and --rm") {
		t.Errorf("--restart with --rm: %s", r)
	}
}
