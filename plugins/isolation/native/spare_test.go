//go:build linux

package native

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// TestSpareInitServesTheNextContainer: after a Create, the backend starts a
// spare init, and the next container of the same namespaces starts from
// it: with its own stdio and fds 0-2 only, and with the mounts made after
// the spare started (a storage plugin mounts each rootfs just before
// Create), not a copy of the mount table from the spare's start.
func TestSpareInitServesTheNextContainer(t *testing.T) {
	testsuite.RequireUserNS(t)
	b := New()
	b.sparesAlways = true
	testsuite.ConfigureIsolation(t, b)
	rootfs := testsuite.IsolationRootfs(t)
	run := func(id string, spec *specs.Spec) (int, string) { return runToEnd(t, b, rootfs, id, spec) }
	run("first", testsuite.IsolationSpec("true"))
	sparePid := waitSpare(t, b).pid
	fresh := t.TempDir()
	if err := unix.Mount("tmpfs", fresh, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatalf("mount a tmpfs (the test runs in a user and mount namespace of its own): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(fresh, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(fresh, "marker"), []byte("mounted after the spare started\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := testsuite.IsolationSpec("sh", "-c", "cat /fresh/marker && ls /proc/self/fd")
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/fresh", Type: "bind", Source: fresh, Options: []string{"rbind", "ro"}})
	pid, out := run("second", spec)
	if pid != sparePid {
		t.Fatalf("the second container's init is %d, not the spare %d", pid, sparePid)
	}
	// ls's own directory fd is the 3.
	if want := "mounted after the spare started\n0\n1\n2\n3\n"; out != want {
		t.Errorf("the container from the spare printed %q, want %q (the fresh mount, then fds 0-3)", out, want)
	}
}

// runToEnd creates, starts and waits for container id of spec on b, which
// must exit 0, and returns its init's pid and its output.
func runToEnd(t *testing.T, b *Backend, rootfs []api.Mount, id string, spec *specs.Spec) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stdout := filepath.Join(t.TempDir(), "stdout")
	if err := os.WriteFile(stdout, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pid, err := b.Create(ctx, api.CreateRequest{ID: id, SpecJSON: specJSON(t, spec), Rootfs: rootfs,
		Stdio: api.Stdio{Stdout: stdout, Stderr: stdout}})
	if err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	defer b.Delete(context.Background(), id)
	if err := b.Start(ctx, id); err != nil {
		t.Fatalf("Start(%s): %v", id, err)
	}
	if st, err := b.Wait(ctx, id, ""); err != nil || st.Code != 0 {
		data, _ := os.ReadFile(stdout)
		t.Fatalf("Wait(%s) = %+v, %v; output %q", id, st, err, data)
	}
	data, err := os.ReadFile(stdout)
	if err != nil {
		t.Fatal(err)
	}
	return pid, string(data)
}

// waitSpare waits for b's spare init, started after a Create.
func waitSpare(t *testing.T, b *Backend) *spare {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b.spareMu.Lock()
		sp := b.spare
		b.spareMu.Unlock()
		if sp != nil {
			return sp
		}
		if time.Now().After(deadline) {
			t.Fatal("no spare init 30 s after a Create")
		}
	}
}

func specJSON(t *testing.T, spec *specs.Spec) []byte {
	t.Helper()
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestExecGetsItsLimitsAndUmask: an exec (the C path: no terminal, no
// user namespace of its own) gets its process's rlimits and umask.
func TestExecGetsItsLimitsAndUmask(t *testing.T) {
	testsuite.RequireUserNS(t)
	b := New()
	testsuite.ConfigureIsolation(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := b.Create(ctx, api.CreateRequest{ID: "c", SpecJSON: specJSON(t, testsuite.IsolationSpec("sleep", "1000")),
		Rootfs: testsuite.IsolationRootfs(t)}); err != nil {
		t.Fatal(err)
	}
	defer b.Delete(context.Background(), "c")
	defer b.Kill(context.Background(), "c", "", 9)
	if err := b.Start(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	p := testsuite.ExecProcess("sh", "-c", "ulimit -n; ulimit -Hn; umask")
	umask := uint32(0o027)
	p.User.Umask = &umask
	p.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 123, Hard: 456}}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	stdout := filepath.Join(t.TempDir(), "stdout")
	if err := os.WriteFile(stdout, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, api.ExecRequest{ID: "c", ExecID: "e", ProcessJSON: data, Stdio: api.Stdio{Stdout: stdout, Stderr: stdout}}); err != nil {
		t.Fatal(err)
	}
	if st, err := b.Wait(ctx, "c", "e"); err != nil || st.Code != 0 {
		t.Fatalf("Wait(exec) = %+v, %v", st, err)
	}
	if out, _ := os.ReadFile(stdout); string(out) != "123\n456\n0027\n" {
		t.Errorf("exec printed %q, want its limits 123 and 456 and umask 0027", out)
	}
}
