//go:build linux

package native

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

func TestParseSpecRefuses(t *testing.T) {
	for name, spec := range map[string]string{
		"not json":         `{`,
		"no process":       `{"ociVersion":"1.2.0"}`,
		"empty args":       `{"process":{"args":[]}}`,
		"unknown cap":      `{"process":{"args":["sh"],"capabilities":{"bounding":["CAP_BOGUS"]}}}`,
		"hostname, no uts": `{"process":{"args":["sh"]},"hostname":"x"}`,
		"join ipc by path": `{"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"ipc","path":"/proc/1/ns/ipc"}]}}`,
		"net path, own userns": `{"process":{"args":["sh"]},"linux":{"namespaces":[{"type":"network","path":"/proc/1/ns/net"},{"type":"user"}],` +
			`"uidMappings":[{"containerID":0,"hostID":0,"size":1}],"gidMappings":[{"containerID":0,"hostID":0,"size":1}]}}`,
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
	// A network namespace named by path is joined by the init, not made.
	spec.Linux.Namespaces[3].Path = "/proc/1/ns/net"
	flags, err = cloneFlags(spec)
	if want := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS); err != nil || flags != want || netNSPath(spec) != "/proc/1/ns/net" {
		t.Errorf("with a network namespace path: cloneFlags = %#x, %v, netNSPath %q; want %#x and the path", flags, err, netNSPath(spec), want)
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

// An exec takes the C path unless it has a terminal or a user namespace
// of its own, or a string C cannot take.
func TestCExecChoice(t *testing.T) {
	p := &specs.Process{Args: []string{"true"}, Cwd: "/"}
	for name, tc := range map[string]struct {
		cfg  nsinit.ExecConfig
		own  *specs.User
		want bool
	}{
		"plain":    {nsinit.ExecConfig{Process: p}, nil, true},
		"terminal": {nsinit.ExecConfig{Process: p, Terminal: true}, nil, false},
		"own user": {nsinit.ExecConfig{Process: p}, &specs.User{UID: 1000}, false},
		"NUL":      {nsinit.ExecConfig{Process: &specs.Process{Args: []string{"a\x00b"}}}, nil, false},
	} {
		if got := cExecConfig(&tc.cfg, tc.own) != nil; got != tc.want {
			t.Errorf("%s: C path %v, want %v", name, got, tc.want)
		}
	}
}
