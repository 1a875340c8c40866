package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
	"github.com/rrun-project/rrun/storage"
)

// A mapped copy read from the overlay driver's diff directories (without
// the store's lock) keeps what the layers say: a whiteout hides a lower
// file, an opaque directory hides a lower directory's files, and the
// owners are mapped.
func TestMappedCopyKeepsWhiteouts(t *testing.T) {
	fixtures.RequireUserNS(t)
	if fixtures.SingleUIDMapping() {
		t.Skip("id maps need more than one id in the session")
	}
	owned := fixtures.File("d/mine", 0o644, []byte("m"))
	owned.Header.Uid, owned.Header.Gid = 1000, 1000
	img, err := fixtures.Image(fixtures.BusyboxConfig(),
		[]fixtures.Entry{fixtures.Dir("d", 0o755), fixtures.File("d/a", 0o644, []byte("a")), owned,
			fixtures.File("gone", 0o644, []byte("g")), fixtures.File("keep", 0o644, []byte("k")),
			fixtures.Dir("o", 0o755), fixtures.File("o/x", 0o644, []byte("x"))},
		[]fixtures.Entry{fixtures.File(".wh.gone", 0, nil), fixtures.Dir("o", 0o755),
			fixtures.File("o/.wh..wh..opq", 0, nil), fixtures.File("o/y", 0o644, []byte("y")),
			fixtures.Dir("d", 0o755), fixtures.File("d/b", 0o644, []byte("b"))})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "wh.tar")
	if err := fixtures.WriteDockerArchive(archive, img, "wh:latest"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := storage.New(storage.Options{GraphRoot: t.TempDir(), RunRoot: t.TempDir(), Driver: storage.DriverOverlay, IDMap: storage.IDMapOptionCopy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Load(ctx, archive, "", nil); err != nil {
		t.Fatal(err)
	}
	ms, err := st.PrepareMappedRootfs(ctx, "c1", "wh:latest", keepIDTestMap, keepIDTestMap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.RemoveRootfs(ctx, "c1") })
	root := ms[0].Source
	owners := map[string]uint32{"keep": 1, "d/a": 1, "d/b": 1, "d/mine": 0, "o/y": 1} // container 0 is session 1, 1000 is 0
	for p, want := range owners {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := fi.Sys().(*syscall.Stat_t).Uid; got != want {
			t.Errorf("%s: owner %d in the session, want %d", p, got, want)
		}
	}
	for _, p := range []string{"gone", "o/x"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s shows in the copy: the upper layer removed it", p)
		}
	}
}
