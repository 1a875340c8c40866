package pluginmgr

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// launchScript launches a shell script as storage plugin "s" and returns
// Launch's error; a Launch that hangs fails the test after a minute.
func launchScript(t *testing.T, body string) error {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "rrun-storage-s")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manager{RunDir: filepath.Join(dir, "run"), StartTimeout: 300 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		inst, err := m.Launch(context.Background(), Candidate{Kind: api.KindStorage, Name: "s", Path: p})
		if inst != nil {
			inst.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if left, _ := os.ReadDir(filepath.Join(dir, "run", "plugins")); len(left) > 0 {
			t.Errorf("socket dirs left behind: %v", left)
		}
		return err
	case <-time.After(time.Minute):
		t.Fatal("Launch hung")
		return nil
	}
}

func TestLaunchBrokenPluginsFailInOneLine(t *testing.T) {
	cases := []struct{ name, body, want string }{
		// The plugin outlives its handshake line a little: one that exits
		// at once races go-plugin's reading of that line ("exited before
		// the go-plugin handshake" is then the right answer, tested below).
		{"dead address", "echo '1|1|unix|/nonexistent/x.sock|grpc'; sleep 0.2", "died during Info: exit status 0"},
		{"silent", "echo 'still thinking' >&2; exec sleep 30", "did not complete the go-plugin handshake within 300ms; its last stderr lines: still thinking"},
		{"garbage", "echo 'hello there'; exec sleep 30", `printed "hello there" where the go-plugin handshake belongs`},
		{"exits", "echo 'no luck' >&2; exit 3", "exited before the go-plugin handshake (exit status 3); its last stderr lines: no luck"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := launchScript(t, c.body)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("want one line with %q, got %v", c.want, err)
			}
			if !strings.Contains(err.Error(), "rrun-storage-s") {
				t.Fatalf("the error must name the plugin: %v", err)
			}
		})
	}
}

// A child that keeps the plugin's stdout and stderr open must not keep
// Launch (or Close) waiting once the plugin itself has exited.
func TestLaunchChildHoldingPipes(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")
	err := launchScript(t, "sleep 30 & echo $! > "+pidFile+"; exit 3")
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("want the plugin's exit status, got %v", err)
	}
}

// A warm plugin whose handshake names an address nobody serves fails the
// command in one line that names the plugin, whether its connection or
// its Info call finds it first.
func TestWarmPluginAtADeadAddressFailsInOneLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rrun-isolation-dead")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho '1|1|unix|/nonexistent/x.sock|grpc'\nsleep 0.2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Manager{RunDir: filepath.Join(dir, "run"), StartTimeout: 2 * time.Second, WarmIdle: time.Second}
	inst, err := m.Acquire(context.Background(), Candidate{Kind: api.KindIsolation, Name: "dead", Path: p}, "", func(*Instance) error { return nil })
	if inst != nil {
		inst.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "isolation plugin dead") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming isolation plugin dead, got %v", err)
	}
	if api.HintOf(err) == "" {
		t.Fatalf("the error says no fix: %v", err)
	}
}
