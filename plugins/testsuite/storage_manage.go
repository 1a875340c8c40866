package testsuite

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// imageManager returns b's image calls when Info announces capability,
// else checks that an ImageManager b offers answers ErrNotImplemented and
// returns nil.
func imageManager(t *testing.T, b api.Storage, capability string) api.ImageManager {
	t.Helper()
	im, ok := b.(api.ImageManager)
	info, err := b.Info(storageCtx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if slices.Contains(info.Capabilities, capability) {
		if !ok {
			t.Fatalf("Info announces %s but the backend is no api.ImageManager", capability)
		}
		return im
	}
	if ok {
		err := im.Tag(storageCtx(t), "busybox", "rrun-suite/unannounced:1")
		storageWantKind(t, "Tag on a backend without "+api.CapStorageTag, err, api.ErrNotImplemented)
	}
	return nil
}

// testTagRemove: Tag adds a name (idempotently), RemoveImage of one of two
// names untags, of the last deletes; unknown images are ErrNotFound; an
// image a rootfs uses is refused unless forced.
func (s *storageSuite) testTagRemove(t *testing.T) {
	b, image := s.withImage(t)
	im := imageManager(t, b, api.CapStorageTag)
	if im == nil || imageManager(t, b, api.CapStorageRemove) == nil {
		t.Skip("the backend announces no " + api.CapStorageTag + " and " + api.CapStorageRemove)
	}
	ctx := storageCtx(t)
	d, err := b.InspectImage(ctx, image)
	if err != nil {
		t.Fatalf("InspectImage: %v", err)
	}
	const other = "docker.io/rrun-suite/other:1"
	for i := range 2 {
		if err := im.Tag(ctx, image, "rrun-suite/other:1"); err != nil {
			t.Fatalf("Tag #%d: %v", i+1, err)
		}
	}
	if o, err := b.InspectImage(ctx, other); err != nil || o.ID != d.ID {
		t.Fatalf("after Tag, InspectImage(%s) = %v, %v; want image %s", other, o.ID, err, d.ID)
	}
	storageWantKind(t, "Tag of an unknown image", im.Tag(ctx, "rrun-suite/nosuch:1", "x:1"), api.ErrNotFound)
	res, err := im.RemoveImage(ctx, other, false)
	if err != nil || len(res.Deleted) != 0 || !slices.Equal(res.Untagged, []string{other}) {
		t.Fatalf("RemoveImage of one of two names = %+v, %v; want only %s untagged", res, err, other)
	}
	id := storageContainerID()
	storagePrepare(t, b, id, image)
	_, err = im.RemoveImage(ctx, image, false)
	storageWantKind(t, "RemoveImage of an image a rootfs uses", err, api.ErrFailedPrecondition)
	if err := b.RemoveRootfs(ctx, id); err != nil {
		t.Fatalf("RemoveRootfs: %v", err)
	}
	res, err = im.RemoveImage(ctx, image, false)
	if err != nil || !slices.Equal(res.Deleted, []string{d.ID}) {
		t.Fatalf("RemoveImage of the last name = %+v, %v; want %s deleted", res, err, d.ID)
	}
	_, err = im.RemoveImage(ctx, image, false)
	storageWantKind(t, "RemoveImage of a removed image", err, api.ErrNotFound)
}

// testSaveLoad: an image saved and loaded into another store keeps its ID;
// Usage counts it and Prune -a deletes it.
func (s *storageSuite) testSaveLoad(t *testing.T) {
	b, image := s.withImage(t)
	im := imageManager(t, b, api.CapStorageSave)
	if im == nil || !storageCanLoad(t, b) {
		t.Skip("the backend announces no " + api.CapStorageSave + " or " + api.CapStorageLoad)
	}
	ctx := storageCtx(t)
	d, err := b.InspectImage(ctx, image)
	if err != nil {
		t.Fatalf("InspectImage: %v", err)
	}
	p := filepath.Join(t.TempDir(), "saved.tar")
	if err := im.Save(ctx, p, "docker-archive", []string{image}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	storageWantKind(t, "Save of an unknown image", im.Save(ctx, p+"2", "", []string{"rrun-suite/nosuch:1"}), api.ErrNotFound)
	fresh := s.newBackend(t)
	imgs, err := fresh.Load(ctx, p, "", nil)
	if err != nil || len(imgs) != 1 || imgs[0].ID != d.ID {
		t.Fatalf("Load of a saved image = %+v, %v; want ID %s", imgs, err, d.ID)
	}
	if um := imageManager(t, fresh, api.CapStorageUsage); um != nil {
		u, err := um.Usage(ctx)
		if err != nil || u.Images != 1 || u.ImagesSize <= 0 {
			t.Fatalf("Usage = %+v, %v; want one image of some size", u, err)
		}
		rep, err := um.Prune(ctx, true)
		if err != nil || !slices.Equal(rep.Deleted, []string{d.ID}) {
			t.Fatalf("Prune(all) = %+v, %v; want %s deleted", rep, err, d.ID)
		}
	}
}
