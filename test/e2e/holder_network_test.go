package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// pastasOf lists the pasta processes started for this test's home (their
// pid file is in its run dir).
func (e *env) pastasOf() []int {
	var out []int
	for _, pid := range pids() {
		if c := cmdline(pid); strings.HasPrefix(c, "pasta ") && strings.Contains(c, e.home) && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// With RRUN_WARM_NETWORK=1 a run with a private network joins the session holder (no session of its
// own) and its container gets the private network a cold run gets; a
// kill -9 of a detached container's monitor leaves no pasta once the next
// command has run.
func TestHolderWarmPrivateNetwork(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_WARM_NETWORK=1") // opt-in for now
	e.warmRun("true")                              // starts the holder
	for _, mode := range privateModes(t) {
		saved := e.vars
		e.vars = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
		r := e.run("", "run", "--rm", "--network", mode, "busybox", "sh", "-c", "ip -4 addr show tap0; ip link show lo")
		e.vars = saved
		if r.code != 0 || !warmTrace(r.stderr) {
			t.Fatalf("%s: the run did not join the holder: %s", mode, r)
		}
		if !strings.Contains(r.stdout, "inet 10.0.2.100/24") || !strings.Contains(r.stdout, "UP") {
			t.Fatalf("%s: no tap0 at 10.0.2.100 or lo down: %s", mode, r)
		}
	}
	if len(e.pastasOf()) != 0 {
		t.Fatalf("pasta left running after --rm runs: %v", e.pastasOf())
	}
	for _, mode := range privateModes(t) {
		if mode != "pasta" {
			continue
		}
		id := e.detached("--network", "pasta", "busybox", "sleep", "600")
		if len(e.pastasOf()) != 1 {
			t.Fatalf("a detached pasta container has pastas %v", e.pastasOf())
		}
		for _, pid := range pids() {
			if strings.Contains(cmdline(pid), "__monitor "+id) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(300 * time.Millisecond)
		e.ok("ps", "-a")
		deadline := time.Now().Add(10 * time.Second)
		for len(e.pastasOf()) != 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if p := e.pastasOf(); len(p) != 0 {
			t.Fatalf("pasta %v of a killed monitor still runs after the next command", p)
		}
		e.ok("rm", "-f", id)
	}
}
