//go:build linux

package native

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite"
)

// threadsOf is the Threads line of pid's status.
func threadsOf(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Threads line in the status of %d", pid)
	return ""
}

func configureWith(t *testing.T, b *Backend, runDir string, options map[string]string) {
	t.Helper()
	if err := b.Configure(context.Background(), api.Config{APIVersion: api.APIVersion, RunDir: runDir, StateDir: t.TempDir(),
		Options: options}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

// TestCInitSetsUpWithoutTheGoRuntime: a created container's init waits
// for Start as the C init, one thread and no Go runtime (the init's cost
// that no container needs); with c_init=false it is the Go init, with the
// runtime's threads. Both run the command.
func TestCInitSetsUpWithoutTheGoRuntime(t *testing.T) {
	testsuite.RequireUserNS(t)
	for _, tc := range []struct {
		option  string
		oneWant bool
	}{{"", true}, {"false", false}} {
		b := New()
		configureWith(t, b, t.TempDir(), map[string]string{"c_init": tc.option})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		stdout := filepath.Join(t.TempDir(), "stdout")
		if err := os.WriteFile(stdout, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		pid, err := b.Create(ctx, api.CreateRequest{ID: "c", SpecJSON: specJSON(t, testsuite.IsolationSpec("sh", "-c", "echo ran; ls /proc/self/fd")),
			Rootfs: testsuite.IsolationRootfs(t), Stdio: api.Stdio{Stdout: stdout, Stderr: stdout}})
		if err != nil {
			t.Fatalf("c_init=%q: Create: %v", tc.option, err)
		}
		if threads := threadsOf(t, pid); (threads == "1") != tc.oneWant {
			t.Errorf("c_init=%q: the created container's init has %s threads; want one: %v", tc.option, threads, tc.oneWant)
		}
		if err := b.Start(ctx, "c"); err != nil {
			t.Fatalf("c_init=%q: Start: %v", tc.option, err)
		}
		if st, err := b.Wait(ctx, "c", ""); err != nil || st.Code != 0 {
			t.Fatalf("c_init=%q: Wait = %+v, %v", tc.option, st, err)
		}
		if out, _ := os.ReadFile(stdout); string(out) != "ran\n0\n1\n2\n3\n" {
			t.Errorf("c_init=%q: the container printed %q, want ran and fds 0-3 (ls's own is the 3)", tc.option, out)
		}
		b.Delete(context.Background(), "c")
		cancel()
	}
}

// TestCSpareGoesOnInGo: a spare of the C init handed a container the Go
// init sets up (c_init turned off after the spare started) takes its
// stdio in C and goes on in Go.
func TestCSpareGoesOnInGo(t *testing.T) {
	testsuite.RequireUserNS(t)
	b := New()
	b.sparesAlways = true
	runDir := t.TempDir()
	configureWith(t, b, runDir, nil)
	rootfs := testsuite.IsolationRootfs(t)
	runToEnd(t, b, rootfs, "first", testsuite.IsolationSpec("true"))
	sp := waitSpare(t, b)
	if !sp.cinit {
		t.Fatal("the spare is not the C init's")
	}
	configureWith(t, b, runDir, map[string]string{"c_init": "false"})
	pid, out := runToEnd(t, b, rootfs, "second", testsuite.IsolationSpec("sh", "-c", "echo from the spare; ls /proc/self/fd"))
	if pid != sp.pid {
		t.Fatalf("the second container's init is %d, not the spare %d", pid, sp.pid)
	}
	if want := "from the spare\n0\n1\n2\n3\n"; out != want {
		t.Errorf("the container printed %q, want %q", out, want)
	}
}
