package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A warm plugin whose idle timeout passes while a command is attaching to
// it (holding its dir's lock, as Acquire does until its connection is up)
// stays up for that command; once the lock is free it exits idle. Commands
// no longer ask a reattached plugin for its Info, so nothing else would
// catch a plugin exiting under an attaching command.
func TestWarmPluginIdleExitWaitsForAttachingCommand(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_SESSION_IDLE_TIMEOUT=1s")
	e.warmRun("true")
	dirs, _ := filepath.Glob(filepath.Join(e.home, "run", "rrun", "plugins", "warm", "*-i-native"))
	pid := e.warmPIDOf("-i-native")
	if len(dirs) != 1 || pid == 0 {
		t.Fatalf("want one warm isolation plugin, got dirs %v, pid %d", dirs, pid)
	}
	f, err := os.OpenFile(filepath.Join(dirs[0], "lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // three idle timeouts
	if ownerOf(pid) != os.Getuid() || isZombie(pid) {
		t.Fatalf("the warm plugin (pid %d) exited while a command held its lock", pid)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ownerOf(pid) == os.Getuid() && !isZombie(pid) {
		time.Sleep(100 * time.Millisecond)
	}
	if ownerOf(pid) == os.Getuid() && !isZombie(pid) {
		t.Fatalf("the warm plugin (pid %d) did not exit idle once the lock was free", pid)
	}
	if r, _ := e.warmRun("echo", "again"); r.stdout != "again\n" {
		t.Fatalf("the run after the idle exit: %s", r)
	}
}

// tracedExec runs a traced `rrun exec ID ARGS` once a pool process
// listens, and returns its stdout, stderr (with the trace) and error.
func (e *env) tracedExec(id string, args ...string) (string, string, error) {
	e.t.Helper()
	e.waitPool()
	var out, errb bytes.Buffer
	cmd := e.tracedCmd("", append([]string{"exec", id}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// A served exec into a container of its own holder is served by the exec
// process itself (no `rrun __monitor --exec` started for it), with the
// same exit code and output; after the holder was replaced (the container
// lives in the old one's namespaces), exec goes through the monitor again
// and still works.
func TestExecServedHereOnlyInTheContainersNamespaces(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("--network", "none", "busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	out, stderr, err := e.tracedExec(id, "sh", "-c", "echo out; exit 3")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || out != "out\n" {
		t.Fatalf("exec: %v %q\n%s", err, out, stderr)
	}
	if servedBy(stderr) == 0 || !strings.Contains(stderr, "exec served here") {
		t.Fatalf("a served exec into its holder's container was not served by itself:\n%s", stderr)
	}
	e.killHolder()
	out, stderr, err = e.tracedExec(id, "sh", "-c", "echo again; exit 5")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 || out != "again\n" {
		t.Fatalf("exec after the holder was replaced: %v %q\n%s", err, out, stderr)
	}
	if strings.Contains(stderr, "exec served here") {
		t.Fatalf("an exec from another holder's namespaces did not go through the monitor:\n%s", stderr)
	}
	e.ok("rm", "-f", id)
}
