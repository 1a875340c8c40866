package testsuite

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// ExecProcess returns the process of an exec as docker makes it for
// `docker exec CONTAINER args...`: root, cwd /, the default PATH.
func ExecProcess(args ...string) *specs.Process {
	return &specs.Process{
		Args: args,
		Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
		Cwd:  "/",
	}
}

// requireCap skips the test unless b announces capability.
func requireCap(t *testing.T, b api.Isolation, capability string) {
	t.Helper()
	info, err := b.Info(isoCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(info.Capabilities, capability) {
		t.Skipf("backend %s does not announce %s", info.Name, capability)
	}
}

// running creates and starts `sleep 1000` on a new backend that announces
// capability.
func (s *isolationSuite) running(t *testing.T, capability string) *isoContainer {
	t.Helper()
	b := s.newBackend(t)
	requireCap(t, b, capability)
	c := s.mustCreate(t, b, IsolationSpec("sleep", "1000"))
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	return c
}

// isoExec is one exec process of a test, with its output files.
type isoExec struct {
	id, stdout, stderr string
	pid                int
}

// exec starts p in c with stdout and stderr in two files.
func (c *isoContainer) exec(p *specs.Process) (*isoExec, error) {
	c.t.Helper()
	dir := c.t.TempDir()
	e := &isoExec{id: fmt.Sprintf("exec-%d", isolationIDs.Add(1)),
		stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr")}
	isoWriteFile(c.t, e.stdout, "")
	isoWriteFile(c.t, e.stderr, "")
	pid, err := c.b.Exec(c.ctx, api.ExecRequest{ID: c.id, ExecID: e.id, ProcessJSON: jsonOf(c.t, p),
		Stdio: api.Stdio{Stdout: e.stdout, Stderr: e.stderr}})
	e.pid = pid
	return e, err
}

// execOK runs p in c, waits for it and returns its stdout; it must exit 0.
func (c *isoContainer) execOK(p *specs.Process) string {
	c.t.Helper()
	e, err := c.exec(p)
	if err != nil {
		c.t.Fatalf("Exec(%q): %v", p.Args, err)
	}
	st := c.waitExec(e.id)
	out, errOut := readPair(c.t, e.stdout, e.stderr)
	if st.Code != 0 {
		c.t.Fatalf("exec %q exited %d; stdout %q, stderr %q", p.Args, st.Code, out, errOut)
	}
	return out
}

func (c *isoContainer) waitExec(execID string) api.ExitStatus {
	c.t.Helper()
	st, err := c.b.Wait(c.ctx, c.id, execID)
	if err != nil {
		c.t.Fatalf("Wait(%s, %s): %v", c.id, execID, err)
	}
	return st
}

func (s *isolationSuite) testExecOutput(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	e, err := c.exec(ExecProcess("sh", "-c", "echo out; echo err >&2; exit 5"))
	if err != nil {
		t.Fatal(err)
	}
	if e.pid <= 0 {
		t.Errorf("Exec returned pid %d", e.pid)
	}
	if st := c.waitExec(e.id); st.Code != 5 {
		t.Errorf("exec exit status %+v, want 5", st)
	}
	if out, errOut := readPair(t, e.stdout, e.stderr); out != "out\n" || errOut != "err\n" {
		t.Errorf("exec stdout %q stderr %q, want %q and %q", out, errOut, "out\n", "err\n")
	}
	if st := c.state(); st.Status != api.StatusRunning {
		t.Errorf("the container is %s after an exec ended, want running", st.Status)
	}
}

func (s *isolationSuite) testExecNamespaces(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	out := c.execOK(ExecProcess("ps", "-o", "pid,comm"))
	if !slices.ContainsFunc(lines(out), func(l string) bool { return slices.Equal(strings.Fields(l), []string{"1", "sleep"}) }) {
		t.Errorf("ps in an exec shows %q, want the container's init as pid 1", out)
	}
	if out := c.execOK(ExecProcess("hostname")); out != "rrun-test\n" {
		t.Errorf("hostname in an exec = %q, want the container's", out)
	}
	if out := c.execOK(ExecProcess("cat", "/etc/group")); !strings.Contains(out, "nogroup") {
		t.Errorf("an exec does not see the container's root filesystem: /etc/group is %q", out)
	}
}

func (s *isolationSuite) testExecProcess(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	p := ExecProcess("sh", "-c", "pwd; echo $FOO")
	p.Cwd, p.Env = "/tmp", append(p.Env, "FOO=bar baz")
	if out := c.execOK(p); out != "/tmp\nbar baz\n" {
		t.Errorf("exec with cwd /tmp and FOO: %q", out)
	}
	p = ExecProcess("sh", "-c", "echo $(id -u):$(id -g)")
	p.User = specs.User{UID: 1000, GID: 1000}
	e, err := c.exec(p)
	if errors.Is(err, api.ErrInvalidArgument) {
		t.Skipf("uid 1000 is not available here (single-id map?): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.waitExec(e.id)
	if out, errOut := readPair(t, e.stdout, e.stderr); out != "1000:1000\n" {
		t.Errorf("exec as 1000:1000 printed %q, stderr %q", out, errOut)
	}
}

func (s *isolationSuite) testExecErrors(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	e, err := c.exec(ExecProcess("no-such-command"))
	if !errors.Is(err, api.ErrCommandNotFound) || !strings.Contains(err.Error(), "no-such-command") {
		t.Errorf("Exec(no-such-command) = %v, want ErrCommandNotFound naming it", err)
	} else if st := c.waitExec(e.id); st.Code != 127 {
		t.Errorf("a missing exec command exited %+v, want 127", st)
	}
	e, err = c.exec(ExecProcess("sleep", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.b.Exec(c.ctx, api.ExecRequest{ID: c.id, ExecID: e.id, ProcessJSON: jsonOf(t, ExecProcess("true"))})
	if !errors.Is(err, api.ErrAlreadyExists) {
		t.Errorf("Exec with a used exec id = %v, want ErrAlreadyExists", err)
	}
	if _, err := c.b.Wait(c.ctx, c.id, "no-such-exec"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Wait for an unknown exec = %v, want ErrNotFound", err)
	}
	if err := c.b.Kill(c.ctx, c.id, e.id, int(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	if st := c.waitExec(e.id); st.Code != 137 || st.Signal != 9 {
		t.Errorf("a killed exec: status %+v, want 137", st)
	}
	if st := c.state(); st.Status != api.StatusRunning {
		t.Errorf("the container is %s after Kill of an exec, want running", st.Status)
	}
}

func (s *isolationSuite) testExecNotRunning(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationExec)
	created := s.mustCreate(t, b, IsolationSpec("true"))
	stopped := s.mustCreate(t, b, IsolationSpec("true"))
	if err := b.Start(stopped.ctx, stopped.id); err != nil {
		t.Fatal(err)
	}
	stopped.wait()
	for _, c := range []*isoContainer{created, stopped} {
		if _, err := c.exec(ExecProcess("true")); !errors.Is(err, api.ErrFailedPrecondition) {
			t.Errorf("Exec into a %s container = %v, want ErrFailedPrecondition", c.state().Status, err)
		}
	}
}
