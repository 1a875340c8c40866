package testsuite

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

var storageIDs atomic.Int64

// storageContainerID returns an ID no other container of the run uses.
func storageContainerID() string {
	return fmt.Sprintf("rrun-suite-%d-%d", os.Getpid(), storageIDs.Add(1))
}

// prepare prepares a rootfs and returns the directory its mounts show at /.
func storagePrepare(t *testing.T, b api.Storage, id, image string) (string, bool) {
	t.Helper()
	ms, err := b.PrepareRootfs(storageCtx(t), id, image)
	if err != nil {
		t.Fatalf("PrepareRootfs(%s, %s): %v", id, image, err)
	}
	dir, writable := storageRootDir(t, ms)
	if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
		t.Fatalf("PrepareRootfs(%s) = %+v: no bin/busybox in %s: %v", id, ms, dir, err)
	}
	return dir, writable
}

// rootDir finds the directory a test can look into: the source of a bind
// at /, or the top directory of an overlay at /.
func storageRootDir(t *testing.T, ms []api.Mount) (string, bool) {
	t.Helper()
	for _, m := range ms {
		if m.Target != "/" {
			continue
		}
		writable := !slices.Contains(m.Options, "ro")
		switch {
		case m.Type == "bind":
			return m.Source, writable
		case strings.Contains(m.Type, "overlay"):
			for _, o := range m.Options {
				if dirs, ok := strings.CutPrefix(o, "lowerdir="); ok {
					return strings.Split(dirs, ":")[0], false
				}
			}
		}
	}
	t.Fatalf("mounts %+v: no bind or overlay mount at /", ms)
	return "", false
}

// testRootfs prepares two containers from one image: each sees busybox,
// and a file written in one is not in the other; files survive a release.
func (s *storageSuite) testRootfs(t *testing.T) {
	b, image := s.withImage(t)
	ctx := storageCtx(t)
	a, c := storageContainerID(), storageContainerID()
	dirA, writable := storagePrepare(t, b, a, image)
	dirC, _ := storagePrepare(t, b, c, image)
	if writable && dirA == dirC {
		t.Errorf("containers %s and %s share writable rootfs %s", a, c, dirA)
	}
	if writable {
		marker := filepath.Join(dirA, "rrun-suite-marker")
		if err := os.WriteFile(marker, []byte("a"), 0o644); err != nil {
			t.Fatalf("write into the rootfs of %s: %v", a, err)
		}
		if _, err := os.Stat(filepath.Join(dirC, "rrun-suite-marker")); err == nil {
			t.Errorf("a file written in %s shows in %s", a, c)
		}
		if err := b.ReleaseRootfs(ctx, a); err != nil {
			t.Fatalf("ReleaseRootfs(%s): %v", a, err)
		}
		dirA, _ = storagePrepare(t, b, a, image)
		if _, err := os.Stat(filepath.Join(dirA, "rrun-suite-marker")); err != nil {
			t.Errorf("after Release and Prepare, %s lost its file: %v", a, err)
		}
	}
	for _, id := range []string{a, c} {
		if err := b.RemoveRootfs(ctx, id); err != nil {
			t.Errorf("RemoveRootfs(%s): %v", id, err)
		}
	}
}

// testRootfsIdempotent prepares, releases and removes twice each.
func (s *storageSuite) testRootfsIdempotent(t *testing.T) {
	b, image := s.withImage(t)
	ctx := storageCtx(t)
	id := storageContainerID()
	first, _ := storagePrepare(t, b, id, image)
	second, _ := storagePrepare(t, b, id, image)
	if first != second {
		t.Errorf("PrepareRootfs twice: %s then %s, want the same rootfs", first, second)
	}
	for i := range 2 {
		if err := b.ReleaseRootfs(ctx, id); err != nil {
			t.Errorf("ReleaseRootfs #%d: %v", i+1, err)
		}
	}
	storagePrepare(t, b, id, image)
	for i := range 2 {
		if err := b.RemoveRootfs(ctx, id); err != nil {
			t.Errorf("RemoveRootfs #%d: %v", i+1, err)
		}
	}
	if err := b.ReleaseRootfs(ctx, id); err != nil {
		t.Errorf("ReleaseRootfs after RemoveRootfs: %v", err)
	}
}

// testRootfsErrors: an unknown image is ErrNotFound; unknown containers
// release and remove without error.
func (s *storageSuite) testRootfsErrors(t *testing.T) {
	b := s.newBackend(t)
	ctx := storageCtx(t)
	_, err := b.PrepareRootfs(ctx, storageContainerID(), "docker.io/library/rrun-no-such-image:latest")
	storageWantKind(t, "PrepareRootfs from an unknown image", err, api.ErrNotFound)
	if err := b.ReleaseRootfs(ctx, "rrun-suite-unknown"); err != nil {
		t.Errorf("ReleaseRootfs of an unknown container: %v", err)
	}
	if err := b.RemoveRootfs(ctx, "rrun-suite-unknown"); err != nil {
		t.Errorf("RemoveRootfs of an unknown container: %v", err)
	}
}
