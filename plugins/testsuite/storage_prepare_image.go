package testsuite

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// testPrepareImageRootfs: a backend that announces
// api.CapStoragePrepareImage prepares a root filesystem from an image
// reference and answers with the image InspectImage gives for it, for an
// ordinary and a volatile root filesystem; an image that is not there is
// ErrNotFound and leaves nothing a later prepare of the id would trip on.
func (s *storageSuite) testPrepareImageRootfs(t *testing.T) {
	b, image := s.withImage(t)
	ctx := storageCtx(t)
	info, err := b.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	p, ok := b.(api.ImageRootfs)
	if !slices.Contains(info.Capabilities, api.CapStoragePrepareImage) {
		return
	}
	if !ok {
		t.Fatalf("Info announces %s but the backend is no api.ImageRootfs", api.CapStoragePrepareImage)
	}
	want, err := b.InspectImage(ctx, image)
	if err != nil {
		t.Fatalf("InspectImage(%s): %v", image, err)
	}
	for _, volatile := range []bool{false, true} {
		id := storageContainerID()
		d, ms, err := p.PrepareImageRootfs(ctx, id, image, volatile)
		if err != nil {
			t.Fatalf("PrepareImageRootfs(%s, %s, volatile %v): %v", id, image, volatile, err)
		}
		if d.ID != want.ID || d.TopLayer != want.TopLayer || !bytes.Equal(d.ConfigJSON, want.ConfigJSON) {
			t.Errorf("PrepareImageRootfs(%s) image %s (top layer %q), InspectImage says %s (%q), configs equal: %v",
				image, d.ID, d.TopLayer, want.ID, want.TopLayer, bytes.Equal(d.ConfigJSON, want.ConfigJSON))
		}
		dir, _ := storageRootDir(t, ms)
		if _, err := os.Stat(filepath.Join(dir, "bin", "busybox")); err != nil {
			t.Fatalf("PrepareImageRootfs(%s) = %+v: no bin/busybox in %s: %v", id, ms, dir, err)
		}
		if err := b.RemoveRootfs(ctx, id); err != nil {
			t.Fatalf("RemoveRootfs(%s): %v", id, err)
		}
	}
	id := storageContainerID()
	_, _, err = p.PrepareImageRootfs(ctx, id, "rrun-suite/absent:1", true)
	storageWantKind(t, "PrepareImageRootfs of an absent image", err, api.ErrNotFound)
	storagePrepare(t, b, id, image)
	if err := b.RemoveRootfs(ctx, id); err != nil {
		t.Fatalf("RemoveRootfs(%s): %v", id, err)
	}
}
