package storage_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/storage"
)

// A background copy paused in the middle of a layer holds no lock of the
// store: the image can be removed meanwhile; the copier then fails
// cleanly and leaves no copy, no staging and no request behind.
func TestMappedCopyOfRemovedImage(t *testing.T) {
	ctx, st, root := keepIDStore(t)
	if _, err := st.PrepareMappedRootfs(ctx, "c1", "busybox", keepIDTestMap, keepIDTestMap); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveRootfs(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	wants := storage.PendingCopies(root)
	if len(wants) != 1 {
		t.Fatalf("copy requests after a fuse-overlayfs rootfs: %v", wants)
	}
	release := filepath.Join(t.TempDir(), "pause")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("_RRUN_TEST_IDMAP_COPY_PAUSE", release)
	done := make(chan error, 1)
	go func() { done <- storage.MakeCopies(wants[0]) }()
	t.Cleanup(func() { os.Remove(release); <-done })
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(release + ".paused"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy never paused")
		}
	}
	if _, err := st.RemoveImage(ctx, "busybox", false); err != nil {
		t.Fatalf("rmi during a copy: %v", err)
	}
	os.Remove(release)
	if err := <-done; err != nil {
		t.Errorf("the copier of a removed image: %v, want a clean end", err)
	}
	done <- nil // for the cleanup
	if ready, wanted := storage.CopiesState(root); ready != 0 || wanted != 0 {
		t.Errorf("copy state left after the image went: %d ready, %d wanted", ready, wanted)
	}
	b, _ := os.ReadFile(filepath.Join(root, "overlay-layers", "layers.json"))
	if strings.Contains(string(b), "rrun-idmap") {
		t.Errorf("a mapped copy left after the image went during its copy: %s", b)
	}
}
