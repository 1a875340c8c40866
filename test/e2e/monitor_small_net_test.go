package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helpersOf lists the live network helpers (pasta or slirp4netns) started
// for this test's home (their state dir is in its run dir) for a
// container: a pre-started process's spare pasta is none's.
func (e *env) helpersOf(mode string) []int {
	var out []int
	for _, pid := range pids() {
		if c := cmdline(pid); strings.HasPrefix(c, mode+" ") && strings.Contains(c, e.home) && !isZombie(pid) && !spareOrDropped(c) {
			out = append(out, pid)
		}
	}
	return out
}

// waitNoHelper waits (10 s at most) until no helper of mode runs for this
// test and returns those that still do.
func (e *env) waitNoHelper(mode string) []int {
	deadline := time.Now().Add(10 * time.Second)
	for len(e.helpersOf(mode)) != 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	return e.helpersOf(mode)
}

// onlySmallMonitor fails unless rrun-monitor alone owns id (within 10 s:
// the hand-off follows the start), and returns its pid.
func onlySmallMonitor(t *testing.T, id string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	mon, big := livePIDsOf("rrun-monitor "+id), livePIDsOf("__monitor "+id)
	for (len(mon) != 1 || len(big) != 0) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		mon, big = livePIDsOf("rrun-monitor "+id), livePIDsOf("__monitor "+id)
	}
	if len(mon) != 1 || len(big) != 0 {
		var lines []string
		for _, pid := range big {
			lines = append(lines, cmdline(pid))
		}
		t.Fatalf("want rrun-monitor alone for %s, got %v and the rrun binary %q", id[:12], mon, lines)
	}
	if kb := rssKB(mon[0]); kb == 0 || kb > 2<<10 {
		t.Fatalf("rrun-monitor keeps %d kB resident, want at most 2 MB (it is C: under 1 MB)", kb)
	}
	return mon[0]
}

// A detached container with a private network (pasta is the default) is
// handed to rrun-monitor too: its published TCP port answers, and its helper
// ends when it is stopped and when rrun-monitor is killed with SIGKILL.
func TestSmallMonitorPrivateNetwork(t *testing.T) {
	e := withBusybox(t)
	for _, mode := range privateModes(t) {
		var netArgs []string
		if mode != "pasta" {
			netArgs = []string{"--network", mode}
		}
		port := freePort(t, "tcp")
		id := e.detached(append(append(netArgs, "-p", fmt.Sprintf("%d:80", port)), httpd("hello-"+mode)...)...)
		if got := getUntil(t, port); got != "hello-"+mode {
			t.Fatalf("%s: GET answered %q", mode, got)
		}
		onlySmallMonitor(t, id)
		if h := e.helpersOf(mode); len(h) != 1 {
			t.Fatalf("%s: a running container has helpers %v", mode, h)
		}
		e.ok("stop", id)
		if h := e.waitNoHelper(mode); len(h) != 0 {
			t.Fatalf("%s: %v outlived its stopped container", mode, h)
		}
		// (rrun start of a private network takes the cold path: a second run)
		id = e.detached(append(append(netArgs, "-p", fmt.Sprintf("%d:80", port)), httpd("again-"+mode)...)...)
		if got := getUntil(t, port); got != "again-"+mode {
			t.Fatalf("%s: GET of a second container answered %q", mode, got)
		}
		_ = syscall.Kill(onlySmallMonitor(t, id), syscall.SIGKILL)
		if h := e.waitNoHelper(mode); len(h) != 0 {
			t.Fatalf("%s: %v outlived rrun-monitor killed with SIGKILL", mode, h)
		}
		if ps := e.ok("ps", "-a", "--format", "{{.ID}} {{.Status}}").stdout; !strings.Contains(ps, id[:12]+" Exited") {
			t.Fatalf("%s: after kill -9 of rrun-monitor ps says %q", mode, ps)
		}
		e.ok("rm", id)
	}
}

// A --restart runs the container again with its network connected anew
// (the published port answers the second run) under rrun-monitor.
func TestSmallMonitorPrivateNetworkRestart(t *testing.T) {
	e := withBusybox(t)
	mode := privateModes(t)[0] // the default network
	port := freePort(t, "tcp")
	id := e.detached("--restart", "on-failure:1", "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c",
		"if [ -e /ran ]; then mkdir -p /www && echo again > /www/index.html && exec httpd -f -p 80 -h /www; fi; touch /ran; exit 3")
	if got := getUntil(t, port); got != "again" {
		t.Fatalf("GET after the restart answered %q", got)
	}
	onlySmallMonitor(t, id)
	if n := strings.TrimSpace(e.ok("inspect", "--format", "{{.RestartCount}}", id).stdout); n != "1" {
		t.Fatalf("restart count %q", n)
	}
	e.ok("rm", "-f", id)
	if h := e.waitNoHelper(mode); len(h) != 0 {
		t.Fatalf("%s %v outlived rm -f", mode, h)
	}
}
