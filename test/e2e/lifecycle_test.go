package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// detached starts `rrun run -d ARGS` and returns the container id.
func (e *env) detached(args ...string) string {
	e.t.Helper()
	r := e.ok(append([]string{"run", "-d"}, args...)...)
	id := strings.TrimSpace(r.stdout)
	if len(id) != 64 {
		e.t.Fatalf("run -d must print a 64-char id: %s", r)
	}
	e.t.Cleanup(func() { e.run("", "rm", "-f", id) })
	return id
}

// waitLog waits until the container's log contains want.
func (e *env) waitLog(id, want string) string {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := e.ok("logs", id).stdout
		if strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("log of %s never showed %q: %q", id[:12], want, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type inspected struct {
	ID    string `json:"Id"`
	Name  string
	State struct {
		Status    string
		Running   bool
		Pid       int
		ExitCode  int
		StartedAt string
	}
}

func (e *env) inspect(id string) inspected {
	e.t.Helper()
	var out []inspected
	r := e.ok("inspect", id)
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out) != 1 {
		e.t.Fatalf("inspect: %v %s", err, r)
	}
	return out[0]
}

func TestDetachedLogsStopAndInspect(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--name", "web", "busybox", "sh", "-c", "trap 'echo bye; exit 3' TERM; echo out-line; echo err-line >&2; while true; do sleep 0.1; done")
	e.waitLog(id, "out-line")
	r := e.ok("logs", "web")
	if r.stdout != "out-line\n" || r.stderr != "err-line\n" {
		t.Fatalf("logs keep stdout and stderr apart: %s", r)
	}
	if ts := e.ok("logs", "-t", "web").stdout; !strings.HasPrefix(ts, "20") || !strings.HasSuffix(ts, " out-line\n") {
		t.Fatalf("logs -t: %q", ts)
	}
	if r := e.ok("logs", "--tail", "1", "web"); strings.Count(r.stdout+r.stderr, "\n") != 1 {
		t.Fatalf("logs --tail 1 shows one line: %s", r)
	}
	ps := e.ok("ps").stdout
	if !strings.Contains(ps, id[:12]) || !strings.Contains(ps, "Up ") || !strings.Contains(ps, "web") {
		t.Fatalf("ps must show the running container:\n%s", ps)
	}
	in := e.inspect("web")
	if in.ID != id || in.Name != "/web" || in.State.Status != "running" || !in.State.Running || in.State.Pid <= 0 || in.State.StartedAt == "" {
		t.Fatalf("inspect of a running container: %+v", in)
	}
	e.ok("stop", "web")
	if code := strings.TrimSpace(e.ok("wait", "web").stdout); code != "3" {
		t.Fatalf("wait after stop: want 3 (the trap's), got %q", code)
	}
	if in := e.inspect(id); in.State.Status != "exited" || in.State.ExitCode != 3 || in.State.Running {
		t.Fatalf("inspect after stop: %+v", in)
	}
	if out := e.ok("logs", "web").stdout; out != "out-line\nbye\n" {
		t.Fatalf("logs after stop: %q", out)
	}
	if ps := e.ok("ps").stdout; strings.Contains(ps, id[:12]) {
		t.Fatalf("ps without -a hides exited containers:\n%s", ps)
	}
	if ps := e.ok("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout; !strings.Contains(ps, "web exited") {
		t.Fatalf("ps -a --format: %q", ps)
	}
}

func TestLogsFollowEndsWithTheContainer(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done")
	r := e.ok("logs", "-f", id)
	if r.stdout != "line1\nline2\nline3\n" {
		t.Fatalf("logs -f must print everything and end when the container does: %s", r)
	}
}

func TestStopKillsAContainerIgnoringSIGTERMAfterTheTimeout(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	start := time.Now()
	e.ok("stop", "-t", "1", id)
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("stop -t 1 took %v", took)
	}
	if code := strings.TrimSpace(e.ok("wait", id).stdout); code != "137" {
		t.Fatalf("a container killed after the stop timeout exits 137, got %q", code)
	}
}

func TestKillSendsTheSignal(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "trap 'echo usr1; exit 4' USR1; echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	e.ok("kill", "-s", "USR1", id)
	if code := strings.TrimSpace(e.ok("wait", id).stdout); code != "4" {
		t.Fatalf("kill -s USR1 must reach the trap: exit %q", code)
	}
	oneLine(t, e.run("", "kill", id), "is not running")
}

func TestExecIntoARunningContainer(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--name", "target", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	r := e.ok("exec", "-e", "X=1", "-w", "/tmp", "target", "sh", "-c", "echo $X $(pwd) $(id -u); ps -o pid,comm | grep -c sleep >/dev/null; ps -o pid= | head -1")
	if got := strings.Fields(r.stdout); len(got) != 4 || got[0] != "1" || got[1] != "/tmp" || got[2] != "0" || got[3] != "1" {
		t.Fatalf("exec output (env, cwd, uid, the init is pid 1 of the same namespace): %s", r)
	}
	if r := e.run("", "exec", "target", "sh", "-c", "echo err >&2; exit 5"); r.code != 5 || r.stderr != "err\n" {
		t.Fatalf("exec exit code and stderr: %s", r)
	}
	if r := e.run("piped\n", "exec", "-i", "target", "cat"); r.code != 0 || r.stdout != "piped\n" {
		t.Fatalf("exec -i: %s", r)
	}
	if r := e.run("", "exec", "-u", "nobody", "target", "id", "-u"); r.code != 0 || strings.TrimSpace(r.stdout) != "65534" {
		t.Fatalf("exec -u nobody: %s", r)
	}
	if r := e.run("", "exec", "target", "no-such-cmd"); r.code != 127 {
		t.Fatalf("exec of a missing command exits 127: %s", r)
	}
	e.ok("exec", "-d", "target", "sh", "-c", "sleep 0.2; echo from-detached-exec > /tmp/marker")
	time.Sleep(700 * time.Millisecond)
	if r := e.ok("exec", "target", "cat", "/tmp/marker"); r.stdout != "from-detached-exec\n" {
		t.Fatalf("exec -d: %s", r)
	}
	e.ok("rm", "-f", "target")
	oneLine(t, e.run("", "exec", "target", "true"), "no such container")
}

func TestRmRenameTopAndPrune(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--name", "a1", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	oneLine(t, e.run("", "run", "-d", "--name", "a1", "busybox", "true"), "already in use")
	oneLine(t, e.run("", "rm", "a1"), "is running")
	top := e.ok("top", "a1").stdout
	if !strings.Contains(top, "sleep") || !strings.Contains(top, "PID") {
		t.Fatalf("top must list the container's processes:\n%s", top)
	}
	e.ok("rename", "a1", "a2")
	e.ok("rm", "-f", "a2")
	if ps := e.ok("ps", "-a", "-q").stdout; strings.Contains(ps, id[:12]) {
		t.Fatalf("rm -f left the container: %s", ps)
	}
	e.ok("run", "--name", "done1", "busybox", "true")
	e.ok("create", "--name", "made", "busybox", "true")
	if ps := e.ok("ps", "-a", "--format", "{{.Names}}:{{.Status}}").stdout; !strings.Contains(ps, "done1:Exited (0)") || !strings.Contains(ps, "made:Created") {
		t.Fatalf("ps -a: %q", ps)
	}
	e.ok("start", "-a", "made")
	e.ok("container", "prune", "-f")
	if ps := e.ok("ps", "-a", "-q").stdout; strings.TrimSpace(ps) != "" {
		t.Fatalf("container prune must remove every stopped container: %q", ps)
	}
}

func TestKilledMonitorShowsExitedAndRmCleans(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	// The outermost monitor, what a user sees in ps: the small rrun-monitor
	// a warm detached container is handed to, or rrun's own.
	mon := findProcOrZero("rrun-monitor " + id)
	if mon == 0 {
		mon = findProc(t, rrunBin+" --log-level warn __monitor "+id)
	}
	if err := exec.Command("kill", "-9", fmt.Sprint(mon)).Run(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if ps := e.ok("ps", "-a", "--format", "{{.ID}} {{.State}}").stdout; !strings.Contains(ps, id[:12]+" exited") {
		t.Fatalf("after kill -9 of its monitor the container is exited: %q", ps)
	}
	if left := findDescendantOrZero(0, "while true; do sleep 0.1", uidSelf()); left != 0 {
		t.Fatalf("the container's process %d outlived its monitor", left)
	}
	e.ok("rm", id)
	if ps := e.ok("ps", "-a", "-q").stdout; strings.Contains(ps, id[:12]) {
		t.Fatalf("rm after a monitor crash: %q", ps)
	}
	if r := e.ok("run", "--rm", "busybox", "echo", "ok"); r.stdout != "ok\n" {
		t.Fatalf("the next run: %s", r)
	}
}

func TestContainerSurvivesIsolationPluginCrash(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "trap 'exit 6' TERM; echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	mon := findProc(t, rrunBin+" --log-level warn __monitor "+id)
	plugin := findDescendant(t, mon, "__plugin isolation native")
	if err := exec.Command("kill", "-9", fmt.Sprint(plugin)).Run(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if ps := e.ok("ps", "--format", "{{.ID}} {{.State}}").stdout; !strings.Contains(ps, id[:12]+" running") {
		t.Fatalf("the container must keep running when its isolation plugin dies: %q", ps)
	}
	e.ok("stop", id)
	if code := strings.TrimSpace(e.ok("wait", id).stdout); code != "6" {
		t.Fatalf("stop after a plugin crash must still reach the container: exit %q", code)
	}
}
