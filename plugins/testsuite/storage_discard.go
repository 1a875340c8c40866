package testsuite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// testRootfsDiscard drives the root filesystem of an --rm container: a
// volatile one (api.VolatileRootfs) is as usable as any, and once it is
// removed in the background (api.BackgroundRemover) a new container of
// the same image gets a fresh one and the image can be removed at once:
// the removal is finished, or waited for, first. A backend without these
// interfaces is driven through PrepareRootfs and RemoveRootfs.
func (s *storageSuite) testRootfsDiscard(t *testing.T) {
	b, image := s.withImage(t)
	ctx := storageCtx(t)
	prepare := func(id string) (string, bool) {
		v, ok := b.(api.VolatileRootfs)
		if !ok {
			return storagePrepare(t, b, id, image)
		}
		ms, err := v.PrepareVolatileRootfs(ctx, id, image)
		if err != nil {
			t.Fatalf("PrepareVolatileRootfs(%s, %s): %v", id, image, err)
		}
		dir, writable := storageRootDir(t, ms)
		if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
			t.Fatalf("PrepareVolatileRootfs(%s) = %+v: no bin/busybox in %s: %v", id, ms, dir, err)
		}
		return dir, writable
	}
	remove := func(id string) {
		var err error
		if r, ok := b.(api.BackgroundRemover); ok {
			err = r.RemoveRootfsInBackground(ctx, id)
		} else {
			err = b.RemoveRootfs(ctx, id)
		}
		if err != nil {
			t.Fatalf("removing the rootfs of %s: %v", id, err)
		}
	}
	for i := 0; i < 3; i++ {
		id := storageContainerID()
		dir, writable := prepare(id)
		if _, err := os.Stat(filepath.Join(dir, "rrun-suite-discard")); err == nil {
			t.Fatalf("container %s starts with a file an earlier container wrote", id)
		}
		if writable {
			if err := os.WriteFile(filepath.Join(dir, "rrun-suite-discard"), []byte("x"), 0o644); err != nil {
				t.Fatalf("write into the rootfs of %s: %v", id, err)
			}
		}
		remove(id)
	}
	im := imageManager(t, b, api.CapStorageRemove)
	if im == nil {
		return
	}
	if _, err := im.RemoveImage(ctx, image, false); err != nil {
		t.Fatalf("RemoveImage after the containers' rootfs were removed: %v", err)
	}
}
