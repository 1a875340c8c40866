package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A session whose child process dies before it has set up its user
// namespace (rootlesskit's parent then waits forever for the child's
// message: an `rm -f` of a Slurm epilog hung 40 minutes so) is started
// once more, and the command works, with a warning. A child that dies
// every time fails the command with one line and exit 125, not a hang.
// The child is made to die by a test hook (_RRUN_TEST_SESSION_CHILD_EXIT).
func TestSessionChildDeathDuringSetUp(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_HOLDER=0") // a session of its own, through rootlesskit
	marker := filepath.Join(t.TempDir(), "die-once")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	saved := e.vars
	e.vars = append(append([]string(nil), saved...), "_RRUN_TEST_SESSION_CHILD_EXIT="+marker)
	r, hung := e.runLimited(2*time.Minute, nil, "", "run", "--rm", "--network", "none", "busybox", "echo", "ran")
	if hung {
		t.Fatalf("a run whose session child died once hung:\n%s", r.stderr)
	}
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("a run whose session child died once: %s", r)
	}
	if !strings.Contains(r.stderr, "exited during its set-up (exit status 3); starting it again") {
		t.Errorf("no warning about the restarted session: %q", r.stderr)
	}
	e.vars = append(append([]string(nil), saved...), "_RRUN_TEST_SESSION_CHILD_EXIT=always")
	r, hung = e.runLimited(2*time.Minute, nil, "", "run", "--rm", "--network", "none", "busybox", "echo", "ran")
	if hung {
		t.Fatalf("a run whose session child always dies hung:\n%s", r.stderr)
	}
	last := lastLine(r.stderr)
	if r.code != 125 || !strings.HasPrefix(last, "rrun: ") || !strings.Contains(last, "exited during its set-up (exit status 3)") {
		t.Fatalf("a run whose session child always dies: want exit 125 and one line naming it, got %s", r)
	}
	e.vars = saved
	if ps := e.ok("ps", "-aq").stdout; ps != "" {
		t.Errorf("the failed runs left containers: %q", ps)
	}
}
