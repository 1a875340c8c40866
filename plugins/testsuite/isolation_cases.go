package testsuite

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

type isolationCase struct {
	name string
	fn   func(t *testing.T)
}

func (s *isolationSuite) cases() []isolationCase {
	return []isolationCase{
		{"Info", s.testInfo},
		{"ExitZero", s.testExitCode("true", 0)},
		{"ExitThree", s.testExitCode("exit 3", 3)},
		{"KilledBySignal", s.testKilled},
		{"CommandNotFound", s.testExecError("no-such-command", api.ErrCommandNotFound, 127)},
		{"AbsoluteCommandNotFound", s.testExecError("/no/such/command", api.ErrCommandNotFound, 127)},
		{"NotExecutable", s.testExecError("/etc/passwd", api.ErrCommandNotExecutable, 126)},
		{"DirectoryNotExecutable", s.testExecError("/etc", api.ErrCommandNotExecutable, 126)},
		{"StdoutStderrApart", s.testStdoutStderr},
		{"Stdin", s.testStdin},
		{"Pid1", s.testPid1},
		{"Hostname", s.testHostname},
		{"Env", s.testEnv},
		{"Cwd", s.testCwd},
		{"User", s.testUser},
		{"Devices", s.testDevices},
		{"NetworkNamespace", s.testNetNS},
		{"NetworkNamespacePath", s.testNetNSPath},
		{"States", s.testStates},
		{"DeleteIdempotent", s.testDelete},
		{"UnknownID", s.testUnknownID},
		{"DuplicateID", s.testDuplicateID},
		{"InvalidSpec", s.testInvalidSpec},
		{"ConcurrentWaiters", s.testConcurrentWaiters},
		{"ExecOutput", s.testExecOutput},
		{"ExecNamespaces", s.testExecNamespaces},
		{"ExecProcess", s.testExecProcess},
		{"ExecErrors", s.testExecErrors},
		{"ExecNotRunning", s.testExecNotRunning},
		{"ExecSecurity", s.testExecSecurity},
		{"ExecCommandErrors", s.testExecCommandErrors},
		{"Terminal", s.testTerminal},
		{"ExecTerminal", s.testExecTerminal},
		{"ResizeWithoutTerminal", s.testResizeWithoutTerminal},
		{"Capabilities", s.testCapabilities},
		{"NoNewPrivileges", s.testNoNewPrivileges},
		{"Seccomp", s.testSeccomp},
		{"PreserveFds", s.testPreserveFds},
		{"Rlimits", s.testRlimits},
		{"ReadonlyRootfs", s.testReadonlyRootfs},
		{"Mounts", s.testMounts},
		{"MountsThroughSymlinks", s.testMountsThroughSymlinks},
		{"HostNetwork", s.testHostNetwork},
		{"Survival", s.testSurvival},
	}
}

func (s *isolationSuite) testInfo(t *testing.T) {
	info, err := s.newBackend(t).Info(isoCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != api.KindIsolation || info.Name == "" || info.Version == "" {
		t.Errorf("Info = %+v: want kind %q, a name and a version", info, api.KindIsolation)
	}
	if !slices.Contains(info.APIVersions, api.APIVersion) {
		t.Errorf("Info.APIVersions = %v: want %s among them", info.APIVersions, api.APIVersion)
	}
	for _, c := range info.Capabilities {
		if !strings.HasPrefix(c, api.KindIsolation+".") {
			t.Errorf("capability %q is not namespaced %q", c, api.KindIsolation+".")
		}
	}
}

func (s *isolationSuite) testExitCode(script string, want int) func(t *testing.T) {
	return func(t *testing.T) {
		st, _, errOut := s.run(t, IsolationSpec("sh", "-c", script), "")
		if st.Code != want || st.Signal != 0 {
			t.Errorf("sh -c %q: status %+v, want code %d; stderr %q", script, st, want, errOut)
		}
	}
}

func (s *isolationSuite) testKilled(t *testing.T) {
	c := s.mustCreate(t, s.newBackend(t), IsolationSpec("sleep", "1000"))
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	if err := c.b.Kill(c.ctx, c.id, "", int(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	if st := c.wait(); st.Code != 137 || st.Signal != 9 {
		t.Errorf("killed with SIGKILL: status %+v, want code 137 signal 9", st)
	}
	if err := c.b.Kill(c.ctx, c.id, "", int(syscall.SIGKILL)); err != nil {
		t.Errorf("Kill of a stopped container: %v, want nil", err)
	}
}

func (s *isolationSuite) testExecError(cmd string, kind error, code int) func(t *testing.T) {
	return func(t *testing.T) {
		c, err := s.create(t, s.newBackend(t), IsolationSpec(cmd), "")
		if err != nil { // OCI runtimes find the command at create
			if !errors.Is(err, kind) || !strings.Contains(err.Error(), cmd) {
				t.Fatalf("Create(%q) = %v, want nil or %v naming the command", cmd, err, kind)
			}
			return
		}
		err = c.b.Start(c.ctx, c.id)
		if !errors.Is(err, kind) {
			t.Fatalf("Start(%q) = %v, want %v", cmd, err, kind)
		}
		if !strings.Contains(err.Error(), cmd) {
			t.Errorf("Start(%q) error %q does not name the command", cmd, err)
		}
		if st := c.wait(); st.Code != code {
			t.Errorf("Start(%q): exit status %+v, want %d", cmd, st, code)
		}
		if st := c.state(); st.Status != api.StatusStopped || st.ExitCode != code {
			t.Errorf("State after failed Start = %+v, want stopped with %d", st, code)
		}
	}
}

func (s *isolationSuite) testStdoutStderr(t *testing.T) {
	b := s.newBackend(t)
	c := s.mustCreate(t, b, IsolationSpec("sh", "-c", "echo out; echo err >&2"))
	isoWriteFile(t, c.stdout, "before\n") // appended to, not overwritten
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	c.wait()
	out, errOut := c.output()
	if out != "before\nout\n" || errOut != "err\n" {
		t.Errorf("stdout %q stderr %q, want %q and %q", out, errOut, "before\nout\n", "err\n")
	}
}

func (s *isolationSuite) testStdin(t *testing.T) {
	st, out, _ := s.run(t, IsolationSpec("cat"), "hello\nworld\n")
	if st.Code != 0 || out != "hello\nworld\n" {
		t.Errorf("cat: status %+v stdout %q, want the stdin file back", st, out)
	}
}

func (s *isolationSuite) testPid1(t *testing.T) {
	if out := s.runOK(t, IsolationSpec("sh", "-c", "echo $$")); out != "1\n" {
		t.Errorf("the command's pid is %q, want 1", out)
	}
	out := s.runOK(t, IsolationSpec("ps", "-o", "pid,comm"))
	if ls := lines(out); len(ls) != 2 || strings.Fields(ls[1])[0] != "1" {
		t.Errorf("ps in the container shows %q, want only itself as pid 1", out)
	}
}

func (s *isolationSuite) testHostname(t *testing.T) {
	spec := IsolationSpec("hostname")
	spec.Hostname = "suite-host"
	if out := s.runOK(t, spec); out != "suite-host\n" {
		t.Errorf("hostname = %q, want suite-host", out)
	}
}

func (s *isolationSuite) testEnv(t *testing.T) {
	spec := IsolationSpec("env")
	spec.Process.Env = append(spec.Process.Env, "FOO=bar baz", "EMPTY=")
	got := lines(s.runOK(t, spec))
	want := slices.Clone(spec.Process.Env)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("environment %q, want exactly %q", got, want)
	}
}

func (s *isolationSuite) testCwd(t *testing.T) {
	spec := IsolationSpec("pwd")
	spec.Process.Cwd = "/tmp/not/yet/there"
	if out := s.runOK(t, spec); out != "/tmp/not/yet/there\n" {
		t.Errorf("pwd = %q, want the spec's cwd, created", out)
	}
}

func (s *isolationSuite) testUser(t *testing.T) {
	spec := IsolationSpec("sh", "-c", "echo $(id -u):$(id -g)")
	spec.Process.User = specs.User{UID: 1000, GID: 1000}
	c, err := s.create(t, s.newBackend(t), spec, "")
	if errors.Is(err, api.ErrInvalidArgument) {
		t.Skipf("uid 1000 is not available here (single-id map?): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	st := c.wait()
	if out, errOut := c.output(); st.Code != 0 || out != "1000:1000\n" {
		t.Errorf("id: status %+v, stdout %q, stderr %q; want 1000:1000", st, out, errOut)
	}
}
