package testsuite

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// seccompDenyMkdir allows everything but mkdir and mkdirat, which fail
// with EACCES (13), so the test tells the profile's errno from a plain
// permission error.
func seccompDenyMkdir() *specs.LinuxSeccomp {
	eacces := uint(13)
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eacces},
		},
	}
}

// testSeccomp: a backend that announces isolation.seccomp enforces
// spec.Linux.Seccomp on the process and on exec processes; a syscall the
// profile denies returns the profile's errno.
func (s *isolationSuite) testSeccomp(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationSeccomp)
	script := "grep '^Seccomp:' /proc/self/status; mkdir /tmp/denied 2>&1; echo rc=$?"
	want := "Seccomp:\t2\nmkdir: can't create directory '/tmp/denied': Permission denied\nrc=1\n"
	spec := IsolationSpec("sh", "-c", script)
	spec.Linux.Seccomp = seccompDenyMkdir()
	if out := s.runOK(t, spec); out != want {
		t.Errorf("with a profile denying mkdir with EACCES:\n%q\nwant\n%q", out, want)
	}
	spec = IsolationSpec("sh", "-c", "mkdir /tmp/allowed && echo made")
	if out := s.runOK(t, spec); out != "made\n" {
		t.Errorf("without a seccomp section mkdir must work: %q", out)
	}
	if !hasCap(t, b, api.CapIsolationExec) {
		return
	}
	spec = IsolationSpec("sleep", "1000")
	spec.Linux.Seccomp = seccompDenyMkdir()
	c := s.mustCreate(t, b, spec)
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	if out := c.execOK(ExecProcess("sh", "-c", script)); out != want {
		t.Errorf("an exec in a container with a profile denying mkdir:\n%q\nwant\n%q", out, want)
	}
}
