package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestFlagVolumeBindReadWrite(t *testing.T) {
	e := withBusybox(t)
	host := filepath.Join(e.home, "shared")
	if err := os.MkdirAll(host, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(host, "in"), []byte("from host\n"), 0o644)
	expect(t, "read", e.out(bb("-v", host+":/mnt"), "cat /mnt/in; echo out > /mnt/out"), "from host")
	st, err := os.Stat(filepath.Join(host, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Fatalf("a file written by container root belongs to uid %d, want the invoking user %d", uid, os.Getuid())
	}
	made := filepath.Join(e.home, "made", "here")
	e.ok("run", "--rm", "-v", made+":/m", "busybox", "true")
	if fi, err := os.Stat(made); err != nil || !fi.IsDir() {
		t.Fatalf("-v must create a missing host directory: %v", err)
	}
}

func TestFlagVolumeBindReadOnly(t *testing.T) {
	e := withBusybox(t)
	host := t.TempDir()
	r := e.run("", "run", "--rm", "-v", host+":/mnt:ro", "busybox", "sh", "-c", "echo x > /mnt/f")
	if r.code == 0 {
		t.Fatalf("write to a read-only bind succeeded: %s", r)
	}
	expect(t, "--mount readonly", e.out(bb("--mount", "type=bind,src="+host+",dst=/m,readonly"), "touch /m/f 2>/dev/null || echo refused"), "refused")
	oneLine(t, e.run("", "run", "--rm", "--mount", "type=bind,src=/does/not/exist,dst=/m", "busybox", "true"), "does not exist")
}

func TestFlagNamedVolumePersists(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	expect(t, "second run", e.out(bb("--mount", "type=volume,src=keep,dst=/v"), "cat /v/f"), "kept")
	data := filepath.Join(e.home, "data", "rrun", "volumes", "keep", "_data", "f")
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("volume not under the data dir: %v", err)
	}
	oneLine(t, e.run("", "run", "--rm", "-v", "bad name:/x", "busybox", "true"), "is neither a host path")
}

func TestFlagTmpfs(t *testing.T) {
	e := withBusybox(t)
	got := e.out(bb("--tmpfs", "/scratch:size=1m"), "echo ok > /scratch/f && cat /scratch/f && grep ' /scratch ' /proc/mounts | cut -d' ' -f3")
	expect(t, "--tmpfs", got, "ok\ntmpfs")
}

func TestFlagReadOnly(t *testing.T) {
	e := withBusybox(t)
	got := e.out(bb("--read-only", "--tmpfs", "/tmp"), "touch /x 2>/dev/null || echo refused; touch /tmp/y && echo tmp ok")
	expect(t, "--read-only", got, "refused\ntmp ok")
	if !strings.Contains(e.out(bb(), "touch /x && echo ok"), "ok") {
		t.Fatal("the root is writable without --read-only")
	}
}
