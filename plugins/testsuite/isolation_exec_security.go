package testsuite

import (
	"errors"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// execStatusScript prints what an exec's set-up decides: ids,
// capabilities, no_new_privs, seccomp mode, cwd and fds.
const execStatusScript = `grep -E '^(Uid|Gid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status;
pwd; for i in 3 4 5 6 7 8 9; do (: <&$i) 2>/dev/null && echo open $i; done; true`

// testExecSecurity: an exec gets the capabilities, no_new_privs and
// working directory of its process and the container's seccomp filter,
// with fds 0 to 2 only. (Its limits and umask are not asked of every
// backend: runc 1.1's exec applies neither.)
func (s *isolationSuite) testExecSecurity(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationExec)
	spec, mode := IsolationSpec("sleep", "1000"), "0"
	if hasCap(t, b, api.CapIsolationSeccomp) {
		spec.Linux.Seccomp, mode = seccompDenyMkdir(), "2"
	}
	c := s.mustCreate(t, b, spec)
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	for _, nnp := range []bool{false, true} {
		p := ExecProcess("sh", "-c", execStatusScript)
		p.Cwd, p.NoNewPrivileges, p.Capabilities = "/tmp", nnp, dockerCaps()
		p.Capabilities.Ambient = []string{"CAP_KILL"}
		p.Capabilities.Inheritable = []string{"CAP_KILL"}
		nnpFlag := map[bool]string{false: "0", true: "1"}[nnp]
		want := "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n" +
			"CapInh:\t0000000000000020\nCapPrm:\t" + dockerCapMask + "\nCapEff:\t" + dockerCapMask +
			"\nCapBnd:\t" + dockerCapMask + "\nCapAmb:\t0000000000000020\nNoNewPrivs:\t" + nnpFlag +
			"\nSeccomp:\t" + mode + "\n/tmp\n"
		if out := c.execOK(p); out != want {
			t.Errorf("exec with no_new_privs %v:\n%s\nwant\n%s", nnp, out, want)
		}
	}
}

// testExecCommandErrors: a command that is not there exits 127, one that
// cannot be executed 126, and Exec says which and why.
func (s *isolationSuite) testExecCommandErrors(t *testing.T) {
	c := s.running(t, api.CapIsolationExec)
	for _, tc := range []struct {
		cmd, msg string
		kind     error
		code     int
	}{
		{"no-such-command", `"no-such-command": executable file not found in $PATH`, api.ErrCommandNotFound, 127},
		{"/no/such/file", `"/no/such/file": no such file or directory`, api.ErrCommandNotFound, 127},
		{"/etc/passwd", `"/etc/passwd": permission denied`, api.ErrCommandNotExecutable, 126},
		{"/etc", `"/etc": permission denied`, api.ErrCommandNotExecutable, 126},
	} {
		e, err := c.exec(ExecProcess(tc.cmd))
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Exec(%s) = %v, want %v saying %s", tc.cmd, err, tc.kind, tc.msg)
			continue
		}
		if st := c.waitExec(e.id); st.Code != tc.code {
			t.Errorf("exec of %s exited %+v, want %d", tc.cmd, st, tc.code)
		}
	}
}
