package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/test/testproc"
)

// rssKB is the resident memory of pid (VmRSS of /proc/PID/status), in kB.
func rssKB(pid int) int { return testproc.RSSKB(pid) }

// livePIDsOf are this user's live processes whose command line contains want.
func livePIDsOf(want string) []int {
	var out []int
	for _, pid := range pids() {
		if ownerOf(pid) == os.Getuid() && !isZombie(pid) && strings.Contains(cmdline(pid), want) {
			out = append(out, pid)
		}
	}
	return out
}

// A detached container on the warm path keeps one small process of rrun,
// rrun-monitor, instead of the rrun binary: it logs, execs, survives kill
// -9 of the holder and the warm plugins, stops with docker's semantics and
// records the exit code.
func TestSmallMonitorOwnsADetachedWarmContainer(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--network", "none", "busybox", "sh", "-c", "trap 'exit 6' TERM; echo ready; echo oops >&2; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	mon := livePIDsOf("rrun-monitor " + id)
	if len(mon) != 1 {
		t.Fatalf("want one rrun-monitor for %s, got %v", id[:12], mon)
	}
	if big := livePIDsOf("__monitor " + id); len(big) != 0 {
		t.Fatalf("the rrun binary still monitors %s: %v", id[:12], big)
	}
	if kb := rssKB(mon[0]); kb == 0 || kb > 2<<10 {
		t.Fatalf("rrun-monitor keeps %d kB resident, want at most 2 MB (it is C: under 1 MB)", kb)
	}
	for _, pid := range mapValues(e.warmPIDs()) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	e.killHolder()
	if ps := e.ok("ps", "--format", "{{.Status}}").stdout; !strings.HasPrefix(ps, "Up") {
		t.Fatalf("after the holder and warm plugins were killed, ps says %q", ps)
	}
	if r := e.run("", "exec", id, "sh", "-c", "echo in; exit 4"); r.stdout != "in\n" || r.code != 4 {
		t.Fatalf("exec through rrun-monitor (its output and code): %s", r)
	}
	e.ok("stop", id)
	if code := strings.TrimSpace(e.ok("wait", id).stdout); code != "6" {
		t.Fatalf("stop must reach the container's trap: exit %q", code)
	}
	if ps := e.ok("ps", "-a", "--format", "{{.ID}} {{.Status}}").stdout; !strings.Contains(ps, id[:12]+" Exited (6)") {
		t.Fatalf("ps after stop: %q", ps)
	}
	if logs := e.ok("logs", id); logs.stdout != "ready\n" || logs.stderr != "oops\n" {
		t.Fatalf("logs keep both streams: %s", logs)
	}
	if left := livePIDsOf("rrun-monitor " + id); len(left) != 0 {
		t.Fatalf("rrun-monitor outlived its container: %v", left)
	}
}

func mapValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// kill, attach (stdin of -i) and --restart work through rrun-monitor: a
// restart comes back to the rrun binary and hands off again.
func TestSmallMonitorAttachKillAndRestart(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("-i", "--network", "none", "busybox", "sh", "-c", "read line; echo got $line; exit 2")
	if r := e.run("hello\n", "attach", id); r.code != 2 || !strings.Contains(r.stdout, "got hello") {
		t.Fatalf("attach sends stdin and exits with the container: %s", r)
	}
	if out := e.ok("logs", id).stdout; out != "got hello\n" {
		t.Fatalf("log after attach: %q", out)
	}
	k := e.detached("--network", "none", "busybox", "sleep", "600")
	e.ok("kill", k)
	if code := strings.TrimSpace(e.ok("wait", k).stdout); code != "137" {
		t.Fatalf("kill: exit %q", code)
	}
	rs := e.detached("--restart", "on-failure:2", "--network", "none", "busybox", "sh", "-c", "echo run; exit 3")
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := strings.TrimSpace(e.ok("inspect", "--format", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", rs).stdout)
		if st == "2 exited 3" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want two restarts then exited 3, got %q", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := strings.Count(e.ok("logs", rs).stdout, "run\n"); n != 3 {
		t.Fatalf("want three runs in the log, got %d", n)
	}
	if left := livePIDsOf("rrun-monitor " + rs); len(left) != 0 {
		t.Fatalf("rrun-monitor outlived the policy: %v", left)
	}
	// A restarted container is handed to rrun-monitor again, in the same
	// network mode (none: lo only).
	again := e.detached("--restart", "on-failure:1", "--network", "none", "busybox", "sh", "-c",
		"if [ -e /ran ]; then echo ifaces $(grep -c : /proc/net/dev); sleep 600; fi; touch /ran; exit 3")
	e.waitLog(again, "ifaces")
	if out := e.ok("logs", again).stdout; out != "ifaces 1\n" {
		t.Fatalf("the restarted container's network: %q", out)
	}
	if mon := livePIDsOf("rrun-monitor " + again); len(mon) != 1 || len(livePIDsOf("__monitor "+again)) != 0 {
		t.Fatalf("after a restart want rrun-monitor alone, got %v and %v", mon, livePIDsOf("__monitor "+again))
	}
}

// kill -9 of rrun-monitor leaves a record without an owner: the next
// command reconciles it as exited and kills what is left of the container
// (it has no pid namespace of rrun's to die with).
func TestSmallMonitorKilledIsReconciled(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--network", "none", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.13; done")
	e.waitLog(id, "ready")
	mon := livePIDsOf("rrun-monitor " + id)
	if len(mon) != 1 {
		t.Fatalf("want one rrun-monitor for %s, got %v", id[:12], mon)
	}
	_ = syscall.Kill(mon[0], syscall.SIGKILL)
	time.Sleep(300 * time.Millisecond)
	if ps := e.ok("ps", "-a", "--format", "{{.ID}} {{.State}}").stdout; !strings.Contains(ps, id[:12]+" exited") {
		t.Fatalf("after kill -9 of rrun-monitor the container is exited: %q", ps)
	}
	if left := findDescendantOrZero(0, "while true; do sleep 0.13", uidSelf()); left != 0 {
		t.Fatalf("the container's process %d outlived its reconcile", left)
	}
	e.ok("rm", id)
}

// While rrun-monitor hands an exited container back to rrun to record the
// exit, the container is never reported as killed: a script polling
// inspect until the container stops reads its real exit code.
func TestDetachedExitIsNeverReportedAsKilled(t *testing.T) {
	e := withBusybox(t)
	for _, network := range []string{"none", "pasta"} {
		id := e.detached("--network", network, "busybox", "sh", "-c", "echo ready; sleep 1; exit 3")
		e.waitLog(id, "ready")
		if len(livePIDsOf("rrun-monitor "+id)) != 1 {
			t.Fatalf("--network %s: rrun-monitor does not own %s", network, id[:12])
		}
		deadline := time.Now().Add(time.Minute)
		for {
			st := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).stdout)
			if st == "exited 3" {
				break
			}
			if st != "running 0" || time.Now().After(deadline) {
				t.Fatalf("--network %s: inspect said %q while the container ran or exited with 3", network, st)
			}
		}
	}
}

// `stop` and `wait` return once the exit is recorded, as docker's do: a
// script's next `ps -a` or `inspect` says exited, not Up, even while
// rrun-monitor still hands the exit back to rrun, and a `start` right after
// `stop` finds the container free.
func TestStopAndWaitReturnOnceTheExitIsRecorded(t *testing.T) {
	e := withBusybox(t)
	for i := range 3 {
		id := e.detached("--network", "none", "busybox", "sleep", "600")
		e.ok("stop", "-t", "1", id)
		if st := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}}", id).stdout); st != "exited" {
			t.Fatalf("round %d: inspect right after stop says %q", i, st)
		}
		e.ok("start", id) // not "being started or run by another rrun"
		e.ok("rm", "-f", id)
		id = e.detached("--network", "none", "busybox", "sh", "-c", "sleep 0.3; exit 3")
		if code := strings.TrimSpace(e.ok("wait", id).stdout); code != "3" {
			t.Fatalf("round %d: wait printed %q, want 3", i, code)
		}
		if st := strings.TrimSpace(e.ok("ps", "-a", "--filter", "id="+id, "--format", "{{.Status}}").stdout); !strings.HasPrefix(st, "Exited (3)") {
			t.Fatalf("round %d: ps -a right after wait says %q", i, st)
		}
	}
}

// `start` and `restart` take the warm path as `run -d` does: the container
// gets rrun-monitor, not a session and a monitor of its own (three rrun
// processes, ~100 MB); a container sharing another's network
// (container:NAME), which the holder does not serve, still starts.
func TestStartAndRestartAreWarm(t *testing.T) {
	e := withBusybox(t)
	modes := append([]string{"none"}, privateModes(t)...)
	for _, mode := range modes {
		id := e.detached("--network", mode, "busybox", "sleep", "600")
		e.ok("stop", "-t", "0", id)
		for _, verb := range [][]string{{"start"}, {"restart", "-t", "1"}} {
			e.ok(append(verb, id)...)
			deadline := time.Now().Add(20 * time.Second)
			for len(livePIDsOf("rrun-monitor "+id)) != 1 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if len(livePIDsOf("rrun-monitor "+id)) != 1 {
				t.Fatalf("--network %s: after %s, no rrun-monitor owns %s; its processes: %v", mode, verb, id[:12], livePIDsOf(id))
			}
			if s := livePIDsOf("__session --log-level warn __monitor " + id); len(s) != 0 {
				t.Fatalf("--network %s: %s gave the container a session of its own: %v", mode, verb, s)
			}
			if r := e.ok("exec", id, "echo", "up"); r.stdout != "up\n" {
				t.Fatalf("--network %s: exec after %s: %s", mode, verb, r)
			}
		}
		e.ok("rm", "-f", id)
	}
	if len(modes) > 1 {
		app := e.detached("--name", "app", "busybox", "sleep", "600")
		side := strings.TrimSpace(e.ok("create", "--network", "container:app", "busybox", "sleep", "600").stdout)
		t.Cleanup(func() { e.run("", "rm", "-f", side) })
		e.ok("start", side)
		if st := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}}", side).stdout); st != "running" {
			t.Fatalf("start of a container:app container: %s", st)
		}
		e.ok("rm", "-f", side, app)
	}
}

// `rm` of a container whose command has exited while its monitor still
// records the exit (held up by a test hook) waits for the record and
// removes it, as docker's rm of an exited container does; it used to
// refuse it as running. A running container is still refused.
func TestRmRightAfterTheCommandExited(t *testing.T) {
	e := withBusybox(t)
	saved := e.vars
	e.vars = append(append([]string(nil), e.vars...), "_RRUN_TEST_RECORD_DELAY=4s")
	id := e.detached("--network", "none", "busybox", "true")
	e.vars = saved
	time.Sleep(time.Second) // `true` is gone; its exit is recorded 4 s after it
	if st := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}}", id).stdout); st != "running" {
		t.Fatalf("the test hook did not hold the record back: inspect says %q", st)
	}
	e.ok("rm", id)
	if ps := e.ok("ps", "-a", "-q", "--no-trunc").stdout; strings.Contains(ps, id) {
		t.Fatalf("rm succeeded but ps -a still lists %s", id)
	}
	live := e.detached("--network", "none", "busybox", "sleep", "600")
	if r := e.run("", "rm", live); r.code == 0 || !strings.Contains(r.stderr, "it is running") {
		t.Fatalf("rm of a running container: %s", r)
	}
}
