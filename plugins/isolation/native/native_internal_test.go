//go:build linux

package native

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestParseMountOptions(t *testing.T) {
	mo := parseMountOptions([]string{"rbind", "ro", "nosuid", "rw", "ro", "rprivate", "mode=755", "size=1k"})
	if want := uintptr(unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID); mo.flags != want {
		t.Errorf("flags = %#x, want %#x", mo.flags, want)
	}
	if mo.propagation != unix.MS_PRIVATE|unix.MS_REC {
		t.Errorf("propagation = %#x, want rprivate", mo.propagation)
	}
	if !slices.Equal(mo.data, []string{"mode=755", "size=1k"}) {
		t.Errorf("data = %q", mo.data)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"tool": 0o755, "plain": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/nonexistent:" + dir}
	for file, want := range map[string]string{
		"tool": filepath.Join(dir, "tool"), "plain": filepath.Join(dir, "plain"),
		"sub": filepath.Join(dir, "sub"), "/abs/x": "/abs/x",
	} {
		if got, err := lookPath(file, env); err != nil || got != want {
			t.Errorf("lookPath(%q) = %q, %v; want %q", file, got, err, want)
		}
	}
	if _, err := lookPath("missing", env); !errors.Is(err, errNotInPath) {
		t.Errorf("lookPath(missing) = %v, want errNotInPath", err)
	}
}

func TestParseSpecRefuses(t *testing.T) {
	for name, spec := range map[string]string{
		"not json":          `{`,
		"no process":        `{"ociVersion":"1.2.0"}`,
		"empty args":        `{"process":{"args":[]}}`,
		"unknown cap":       `{"process":{"args":["sh"],"capabilities":{"bounding":["CAP_BOGUS"]}}}`,
		"hostname, no uts":  `{"process":{"args":["sh"]},"hostname":"x"}`,
		"join by path":      `{"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"network","path":"/proc/1/ns/net"}]}}`,
		"unknown namespace": `{"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"bogus"}]}}`,
	} {
		if _, err := parseSpec("c1", []byte(spec)); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%s: parseSpec = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestCloneFlags(t *testing.T) {
	spec, err := parseSpec("c1", []byte(`{"process":{"args":["sh"]},"hostname":"h",
		"linux":{"namespaces":[{"type":"pid"},{"type":"uts"},{"type":"user"},{"type":"network"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	flags, err := cloneFlags(spec)
	if want := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWNET); err != nil || flags != want {
		t.Errorf("cloneFlags = %#x, %v; want %#x (never a user namespace)", flags, err, want)
	}
}

func TestSingleIDMap(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]bool{
		"         0       1000          1\n":                                   true,
		"         0       1000          1\n         1     100000      65536\n": false,
		"         0          0 4294967295\n":                                   false,
	} {
		path := filepath.Join(dir, "map")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := singleIDMap(path); got != want {
			t.Errorf("singleIDMap(%q) = %v, want %v", content, got, want)
		}
	}
}

func TestStartTimeOfSelf(t *testing.T) {
	st, err := startTime(os.Getpid())
	if err != nil || st == 0 {
		t.Fatalf("startTime(self) = %d, %v", st, err)
	}
	if !running(os.Getpid(), st) || running(os.Getpid(), st+1) {
		t.Errorf("running(self) does not follow the start time %d", st)
	}
}

func TestCapSet(t *testing.T) {
	docker := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
		"CAP_KILL", "cap_audit_write"}
	if got := capSetOf(docker, 40); got != 0xa80425fb {
		t.Errorf("docker's set = %#x, want 0xa80425fb", got)
	}
	if got := capSetOf([]string{"CAP_CHECKPOINT_RESTORE"}, 39); got != 0 {
		t.Errorf("a capability past the kernel's last = %#x, want left out", got)
	}
}
