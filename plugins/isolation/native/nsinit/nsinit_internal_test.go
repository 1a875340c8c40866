//go:build linux

package nsinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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

// The C exec path and the C init check the version EncodeCExec writes against its own.
func TestCExecProtocolVersion(t *testing.T) {
	src, err := os.ReadFile("nsenter_linux.h")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("#define RRUN_PROTOCOL_VERSION %d\n", ProtocolVersion); !strings.Contains(string(src), want) {
		t.Errorf("nsenter_linux.h does not say %q: bump it with ProtocolVersion", want)
	}
}
