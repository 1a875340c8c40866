package testsuite

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// testNetNSPath checks api.CapIsolationNetNSPath: a container whose spec
// names a network namespace by path runs in that one, not in a new one
// nor in the host's. The suite makes the namespace (it runs in a user
// namespace of its own) and names it as the host does: /proc/PID/fd/N of
// this process.
func (s *isolationSuite) testNetNSPath(t *testing.T) {
	requireCap(t, s.newBackend(t), api.CapIsolationNetNSPath)
	ns, err := newNetNS()
	if err != nil {
		t.Fatalf("cannot make a network namespace for the container to join: %v", err)
	}
	defer ns.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(ns.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	self, err := os.Readlink("/proc/self") // this pid as /proc numbers it
	if err != nil {
		t.Fatal(err)
	}
	spec := IsolationSpec("readlink", "/proc/self/ns/net")
	spec.Linux.Namespaces = append(spec.Linux.Namespaces,
		specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: fmt.Sprintf("/proc/%s/fd/%d", self, ns.Fd())})
	if out, want := s.runOK(t, spec), fmt.Sprintf("net:[%d]\n", st.Ino); out != want {
		t.Errorf("the container's network namespace is %q, want the one named by path, %q", out, want)
	}
}

// newNetNS makes a network namespace and returns it open: that of a
// sleep started in a new one, which then ends. (Not unshare on a locked
// thread: that thread may be the process's main one, which Go never ends,
// and /proc/self/ns/net, which the in-process backend reads, is its.)
func newNetNS() (*os.File, error) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	return os.Open(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid))
}
