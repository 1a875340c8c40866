package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
	"github.com/rrun-project/rrun/storage"
)

// A keep-id style map: container 1000 is session 0, container 0..999 are
// session 1..1000, the rest is unchanged.
var keepIDTestMap = []api.IDMap{{ContainerID: 0, HostID: 1, Size: 1000}, {ContainerID: 1000, HostID: 0, Size: 1}, {ContainerID: 1001, HostID: 1001, Size: 64535}}

// PrepareMappedRootfs shows the image's files with their owners shifted by
// the maps, on every driver (vfs: mapped layer copies, reused; overlay:
// fuse-overlayfs where usable, else copies; fuse-overlayfs: shifted), and
// RemoveRootfs takes it away.
func TestPrepareMappedRootfs(t *testing.T) {
	fixtures.RequireUserNS(t)
	if fixtures.SingleUIDMapping() {
		t.Skip("id maps need more than one id in the session")
	}
	bb, err := fixtures.Busybox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ driver, idmap, want string }{
		{"vfs", "", storage.IDMapCopies},
		{"overlay", "", ""}, // fuse-overlayfs where /dev/fuse is usable, else copies
		{"overlay", storage.IDMapOptionCopy, storage.IDMapCopies},
		{"fuse-overlayfs", "", storage.IDMapFuse},
	} {
		d := c.driver
		t.Run(d+"-"+c.idmap, func(t *testing.T) {
			if d == "fuse-overlayfs" {
				if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
					t.Skip(err)
				} else {
					f.Close()
				}
			}
			ctx := context.Background()
			root := t.TempDir()
			st, err := storage.New(storage.Options{GraphRoot: root, RunRoot: t.TempDir(), Driver: d, IDMap: c.idmap})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.Load(ctx, bb.DockerArchive, "", nil); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"c1", "c2"} { // c2 reuses what c1 made
				ms, err := st.PrepareMappedRootfs(ctx, id, "busybox", keepIDTestMap, keepIDTestMap)
				if err != nil {
					t.Fatal(err)
				}
				owners := map[string]uint32{"bin/busybox": 1, "home/nobody": 65534}
				for p, want := range owners {
					fi, err := os.Lstat(filepath.Join(ms[0].Source, p))
					if err != nil {
						t.Fatal(err)
					}
					if got := fi.Sys().(*syscall.Stat_t).Uid; got != want {
						t.Errorf("%s %s: owner %d in the session, want %d", id, p, got, want)
					}
				}
				if err := st.RemoveRootfs(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if m := storage.IDMapMechanism(root); m == "" || c.want != "" && m != c.want {
				t.Errorf("recorded mechanism %q, want %q", m, c.want)
			}
		})
	}
}

// On an overlay store with fuse the first keep-id rootfs goes through
// fuse-overlayfs and asks for mapped copies; once MakeCopies made them,
// the next one is native overlay over them with the same owners, and
// removing the image takes the copies and their state away.
func TestMappedCopiesInBackground(t *testing.T) {
	ctx, st, root := keepIDStore(t)
	prepare := func(id, want string) {
		t.Helper()
		ms, err := st.PrepareMappedRootfs(ctx, id, "busybox", keepIDTestMap, keepIDTestMap)
		if err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]uint32{"bin/busybox": 1, "home/nobody": 65534} {
			fi, err := os.Lstat(filepath.Join(ms[0].Source, p))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Sys().(*syscall.Stat_t).Uid; got != want {
				t.Errorf("%s %s: owner %d in the session, want %d", id, p, got, want)
			}
		}
		if m := storage.IDMapMechanism(root); m != want {
			t.Errorf("%s: mechanism %q, want %q", id, m, want)
		}
		if err := st.RemoveRootfs(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	prepare("c1", storage.IDMapFuse)
	wants := storage.PendingCopies(root)
	if len(wants) != 1 {
		t.Fatalf("copy requests after a fuse-overlayfs rootfs: %v", wants)
	}
	if err := storage.MakeCopies(wants[0]); err != nil {
		t.Fatal(err)
	}
	if ready, wanted := storage.CopiesState(root); ready != 1 || wanted != 0 {
		t.Fatalf("copies ready for %d images, wanted for %d; want 1, 0", ready, wanted)
	}
	prepare("c2", storage.IDMapOverlayCopies)
	if _, err := st.RemoveImage(ctx, "busybox", false); err != nil {
		t.Fatal(err)
	}
	if ready, wanted := storage.CopiesState(root); ready != 0 || wanted != 0 {
		t.Errorf("copy state left after the image went: %d ready, %d wanted", ready, wanted)
	}
	b, _ := os.ReadFile(filepath.Join(root, "overlay-layers", "layers.json"))
	if strings.Contains(string(b), "rrun-idmap") {
		t.Errorf("mapped copies left after the image went: %s", b)
	}
}

// A keep-id rootfs through the fuse view does not move the store onto
// FUSE: c/storage records a mount program in the driver's dir when a view
// opens with one, and a later open of the store (another plugin process)
// used to mount every container, plain or over mapped copies, through
// fuse-overlayfs from then on.
func TestFuseViewLeavesTheStoreOnKernelOverlay(t *testing.T) {
	ctx, st, root := keepIDStore(t)
	if _, err := st.PrepareMappedRootfs(ctx, "k1", "busybox", keepIDTestMap, keepIDTestMap); err != nil {
		t.Fatal(err)
	}
	if m := storage.IDMapMechanism(root); m != storage.IDMapFuse {
		t.Fatalf("mechanism %q, want %q", m, storage.IDMapFuse)
	}
	later, err := storage.New(storage.Options{GraphRoot: root, RunRoot: t.TempDir(), Driver: storage.DriverOverlay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { later.Close() })
	ms, err := later.PrepareRootfs(ctx, "plain", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if fs := mountFSType(t, ms[0].Source); fs != "overlay" {
		t.Errorf("a plain rootfs after a keep-id one is mounted as %q, want the kernel's overlay", fs)
	}
	if err := later.RemoveRootfs(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
}

// keepIDStore is a kernel-overlay store in a temp dir with busybox loaded,
// for the tests of keep-id's mapped copies (which need id maps and fuse);
// root is its graph root.
func keepIDStore(t *testing.T) (context.Context, *storage.Store, string) {
	t.Helper()
	fixtures.RequireUserNS(t)
	if fixtures.SingleUIDMapping() || !storage.FuseUsable() {
		t.Skip("needs id maps and a usable /dev/fuse")
	}
	bb, err := fixtures.Busybox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := context.Background(), t.TempDir()
	st, err := storage.New(storage.Options{GraphRoot: root, RunRoot: t.TempDir(), Driver: storage.DriverOverlay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Load(ctx, bb.DockerArchive, "", nil); err != nil {
		t.Fatal(err)
	}
	return ctx, st, root
}
