package testsuite

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// testRootfsInspect checks RootfsSize and RootfsChanges (capability
// storage.rootfs-inspect) on a container that added a file, changed
// /etc/passwd and deleted /bin/true.
func (s *storageSuite) testRootfsInspect(t *testing.T) {
	b, image := s.withImage(t)
	ri, ok := b.(api.RootfsInspector)
	info, err := b.Info(storageCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageRootfsInspect) {
		t.Skipf("backend does not announce %s", api.CapStorageRootfsInspect)
	}
	ctx := storageCtx(t)
	id := storageContainerID()
	dir, writable := storagePrepare(t, b, id, image)
	t.Cleanup(func() { _ = b.RemoveRootfs(ctx, id) })
	if !writable {
		t.Skip("the rootfs is not writable from the host side")
	}
	before, err := ri.RootfsSize(ctx, id)
	if err != nil {
		t.Fatalf("RootfsSize(%s): %v", id, err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "added"), make([]byte, 100000), 0o644))
	must(os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644))
	must(os.Remove(filepath.Join(dir, "bin", "true")))
	changes, err := ri.RootfsChanges(ctx, id)
	if err != nil {
		t.Fatalf("RootfsChanges(%s): %v", id, err)
	}
	for _, want := range []api.RootfsChange{{Path: "/added", Kind: api.ChangeAdded}, {Path: "/etc/passwd", Kind: api.ChangeChanged},
		{Path: "/bin/true", Kind: api.ChangeDeleted}} {
		if !slices.Contains(changes, want) {
			t.Errorf("RootfsChanges = %v: want %v among them", changes, want)
		}
	}
	after, err := ri.RootfsSize(ctx, id)
	if err != nil {
		t.Fatalf("RootfsSize(%s): %v", id, err)
	}
	if after.RW < before.RW+100000 || after.RootFs <= after.RW {
		t.Errorf("RootfsSize after writing 100 kB = %+v (before %+v): want RW grown by 100 kB and RootFs = image + RW", after, before)
	}
	_, err = ri.RootfsSize(ctx, "no-such-container")
	storageWantKind(t, "RootfsSize of an unknown container", err, api.ErrNotFound)
}
