package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallFS is a 20 MB tmpfs that test/setup-host.sh mounts for rrun-test: a
// disk the test can fill (a user cannot mount one on the host).
const smallFS = "/var/tmp/rrun-small-20m"

// requireSmallFS fails (in CI) or skips (elsewhere) unless smallFS is a
// small filesystem of its own that this user can write.
func requireSmallFS(t *testing.T) {
	t.Helper()
	var st, parent syscall.Statfs_t
	err := syscall.Statfs(smallFS, &st)
	if err == nil {
		err = syscall.Statfs(filepath.Dir(smallFS), &parent)
	}
	problem := ""
	switch {
	case err != nil:
		problem = err.Error()
	case st.Fsid == parent.Fsid || int64(st.Blocks)*st.Bsize > 64<<20:
		problem = "it is not a small filesystem of its own"
	case syscall.Access(smallFS, 2) != nil:
		problem = "this user cannot write it"
	}
	if problem == "" {
		return
	}
	msg := "the full-disk test needs a 20 MB tmpfs at " + smallFS + " for this user (run test/setup-host.sh as root): " + problem
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// smallStore returns an env whose store (XDG_DATA_HOME) is on smallFS and
// holds busybox:latest. Whatever an earlier, interrupted run left there is
// removed first: the filesystem is this test's alone.
func smallStore(t *testing.T) *env {
	requireSmallFS(t)
	stale, _ := os.ReadDir(smallFS)
	for _, s := range stale {
		cleanupTree(filepath.Join(smallFS, s.Name()))
	}
	data, err := os.MkdirTemp(smallFS, "data-")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	t.Cleanup(func() { cleanupTree(data) })
	for i, v := range e.vars {
		if strings.HasPrefix(v, "XDG_DATA_HOME=") {
			e.vars[i] = "XDG_DATA_HOME=" + data
		}
	}
	e.ok("load", "-q", "-i", busyboxDocker)
	return e
}

func freeBytes(t *testing.T) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(smallFS, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// expectSpaceBack checks that the disk has its room back (up to the
// records and logs rrun keeps) and that system df agrees: no container.
func expectSpaceBack(t *testing.T, e *env, before int64, after string) {
	t.Helper()
	if free := freeBytes(t); free < before-(1<<20) {
		t.Fatalf("after %s the disk stays full: %d bytes free, %d before", after, free, before)
	}
	for _, line := range strings.Split(e.ok("system", "df").stdout, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "Containers" && (f[1] != "0" || f[3] != "0B") {
			t.Fatalf("after %s system df still counts a container: %q", after, line)
		}
	}
}

// fillDisk is a container command that writes until the disk is full; dd
// then fails with status 1.
var fillDisk = []string{"busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=100"}

func TestFullDiskRunRmAndRmFreeTheSpace(t *testing.T) {
	e := smallStore(t)
	before := freeBytes(t)
	r := e.run("", append([]string{"run", "--rm"}, fillDisk...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "No space left") || strings.Contains(r.stderr, "rrun:") {
		t.Fatalf("run --rm of a command that fills the disk exits with its status (dd: 1), rrun has nothing to add: %s", r)
	}
	if ps := e.ok("ps", "-a", "-q").stdout; strings.TrimSpace(ps) != "" {
		t.Fatalf("run --rm left a container: %q", ps)
	}
	expectSpaceBack(t, e, before, "run --rm")
	e.ok("run", "--rm", "busybox", "true")

	r = e.run("", append([]string{"run", "--name", "full"}, fillDisk...)...)
	if r.code != 1 {
		t.Fatalf("run of a command that fills the disk: %s", r)
	}
	if free := freeBytes(t); free > 1<<20 {
		t.Fatalf("the container should have filled the disk: %d bytes free", free)
	}
	e.ok("rm", "full")
	expectSpaceBack(t, e, before, "rm")
	e.ok("run", "--rm", "busybox", "true")
}
