package testsuite

import (
	"errors"
	"syscall"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// testSurvival crashes the instance that made a container: the container
// keeps running, and a new instance on the same RunDir adopts it.
func (s *isolationSuite) testSurvival(t *testing.T) {
	runDir := t.TempDir()
	old, crash := s.open(t, runDir)
	c := s.mustCreate(t, old, IsolationSpec("sleep", "1000"))
	if err := old.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	pid := c.state().Pid
	var e *isoExec
	if hasCap(t, old, api.CapIsolationExec) {
		var err error
		if e, err = c.exec(ExecProcess("sleep", "1000")); err != nil {
			t.Fatal(err)
		}
	}
	crash()
	b, _ := s.open(t, runDir)
	c.b = b
	if st := c.state(); st.Status != api.StatusRunning || st.Pid != pid {
		t.Fatalf("State from a new instance = %+v, want running with pid %d", st, pid)
	}
	if e != nil {
		if out := c.execOK(ExecProcess("echo", "adopted")); out != "adopted\n" {
			t.Errorf("exec into an adopted container printed %q", out)
		}
		if err := b.Kill(c.ctx, c.id, e.id, int(syscall.SIGKILL)); err != nil {
			t.Errorf("Kill of an adopted exec: %v", err)
		}
		checkAdoptedExit(t, b, c, e.id)
	}
	if err := b.Kill(c.ctx, c.id, "", int(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	checkAdoptedExit(t, b, c, "")
	if st := c.state(); st.Status != api.StatusStopped {
		t.Errorf("State of a killed adopted container = %+v, want stopped", st)
	}
	if err := b.Delete(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	c.deleted = true // b may be gone by the time the cleanup runs
	if _, err := b.State(c.ctx, c.id); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("State after Delete of an adopted container = %v, want ErrNotFound", err)
	}
}

// checkAdoptedExit: Wait on an adopted process returns once it is gone,
// with its status if the backend knows it, else ErrUnavailable.
func checkAdoptedExit(t *testing.T, b api.Isolation, c *isoContainer, execID string) {
	t.Helper()
	st, err := b.Wait(c.ctx, c.id, execID)
	if err != nil && !errors.Is(err, api.ErrUnavailable) {
		t.Errorf("Wait(%q) on an adopted process = %v, want its status or ErrUnavailable", execID, err)
	}
	if err == nil && st.Code != 137 {
		t.Errorf("Wait(%q) on a killed adopted process = %+v, want 137", execID, st)
	}
}

func hasCap(t *testing.T, b api.Isolation, capability string) bool {
	t.Helper()
	info, err := b.Info(isoCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range info.Capabilities {
		if c == capability {
			return true
		}
	}
	return false
}
