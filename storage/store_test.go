package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
	"github.com/rrun-project/rrun/storage"
)

func openStore(t *testing.T, driver string) *storage.Store {
	t.Helper()
	st, err := storage.New(storage.Options{
		GraphRoot: t.TempDir(), RunRoot: t.TempDir(), Driver: driver,
		SingleIDMapping: fixtures.SingleUIDMapping(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

// mountFSType returns the filesystem type mounted at dir, from mountinfo.
func mountFSType(t *testing.T, dir string) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if f := strings.Fields(pre); ok && len(f) > 4 && f[4] == dir {
			return strings.Fields(post)[0]
		}
	}
	return ""
}

// TestTimings logs what a load and a rootfs cost per driver, and which
// filesystem backs the rootfs (native overlay, not a silent fallback to
// fuse-overlayfs). It asserts no timing.
func TestTimings(t *testing.T) {
	fixtures.RequireUserNS(t)
	bb, err := fixtures.Busybox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vfs": "", "overlay": "overlay", "fuse-overlayfs": "fuse.fuse-overlayfs"}
	for _, d := range []string{"vfs", "overlay", "fuse-overlayfs"} {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, d)
			start := time.Now()
			if _, err := st.ListImages(ctx); err != nil {
				t.Fatal(err)
			}
			open := time.Since(start)
			start = time.Now()
			if _, err := st.Load(ctx, bb.DockerArchive, "", nil); err != nil {
				t.Fatal(err)
			}
			load := time.Since(start)
			start = time.Now()
			ms, err := st.PrepareRootfs(ctx, "c1", "busybox")
			if err != nil {
				t.Fatal(err)
			}
			prep := time.Since(start)
			start = time.Now()
			if _, err := st.PrepareRootfs(ctx, "c1", "busybox"); err != nil {
				t.Fatal(err)
			}
			again := time.Since(start)
			fsType := mountFSType(t, ms[0].Source)
			t.Logf("%s: open %v, Load %v, PrepareRootfs %v (again %v), rootfs fs %q", d, open, load, prep, again, fsType)
			if fsType != want[d] {
				t.Errorf("rootfs of %s is mounted as %q, want %q", d, fsType, want[d])
			}
		})
	}
}

// TestLoadMulti loads a docker-archive of two images with three tags.
func TestLoadMulti(t *testing.T) {
	fixtures.RequireUserNS(t)
	img, err := fixtures.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.Config.Labels = map[string]string{"other": "yes"}
	other, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "multi.tar")
	err = fixtures.WriteDockerArchiveMulti(p, map[string]v1.Image{
		"busybox:latest": img, "example.com/team/busybox:1": img, "other:2": other,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, "vfs")
	imgs, err := st.Load(context.Background(), p, "docker-archive", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range imgs {
		names = append(names, i.Names...)
	}
	slices.Sort(names)
	want := []string{"docker.io/library/busybox:latest", "docker.io/library/other:2", "example.com/team/busybox:1"}
	if len(imgs) != 2 || !slices.Equal(names, want) {
		t.Errorf("Load = %+v, want 2 images named %v", imgs, want)
	}
}
