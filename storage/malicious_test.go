package storage_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// TestMalicious loads each malicious image on each driver. Loading may
// fail (with ErrInvalidArgument); when it succeeds, the rootfs proves the
// layer was confined: nothing written outside, no link to a host file,
// no device node.
func TestMalicious(t *testing.T) {
	fixtures.RequireUserNS(t)
	for _, driver := range []string{"overlay", "fuse-overlayfs", "vfs"} {
		t.Run(driver, func(t *testing.T) {
			if driver == "fuse-overlayfs" {
				if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
					t.Skipf("no /dev/fuse: %v", err)
				} else {
					f.Close()
				}
			}
			dir := t.TempDir()
			outside := filepath.Join(dir, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			evil, err := fixtures.MaliciousArchives(dir, outside)
			if err != nil {
				t.Fatal(err)
			}
			st := openStore(t, driver)
			for kind, p := range evil {
				checkConfined(t, st, kind, p)
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("files escaped into %s: %v", outside, entries)
			}
		})
	}
}

func checkConfined(t *testing.T, st interface {
	Load(context.Context, string, string, func(string)) ([]api.Image, error)
	PrepareRootfs(context.Context, string, string) ([]api.Mount, error)
}, kind, p string) {
	ctx := context.Background()
	imgs, err := st.Load(ctx, p, "", nil)
	if err != nil {
		t.Logf("load %s refused: %v", kind, err)
		if !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("load %s: error %v is not ErrInvalidArgument", kind, err)
		}
		return
	}
	ms, err := st.PrepareRootfs(ctx, "evil-"+kind, imgs[0].ID)
	if err != nil {
		t.Fatalf("prepare %s: %v", kind, err)
	}
	root := ms[0].Source
	switch kind {
	case "dotdot":
		for _, d := range []string{filepath.Dir(root), filepath.Dir(filepath.Dir(root))} {
			for _, n := range []string{"rrun-escape-dotdot", "rrun-escape-dotdot2"} {
				if _, err := os.Lstat(filepath.Join(d, n)); err == nil {
					t.Errorf("dotdot: %s escaped into %s", n, d)
				}
			}
		}
	case "hardlink":
		host, _ := os.ReadFile("/etc/passwd")
		for _, n := range []string{"passwd-abs", "passwd-rel"} {
			hostSt, _ := os.Stat("/etc/passwd")
			if fi, err := os.Stat(filepath.Join(root, n)); err == nil && (os.SameFile(fi, hostSt) ||
				bytes.Equal(must(os.ReadFile(filepath.Join(root, n))), host)) {
				t.Errorf("hardlink: %s in the rootfs is the host's /etc/passwd", n)
			}
		}
	case "device":
		for _, n := range []string{"dev/evil-mem", "dev/evil-sda"} {
			if fi, err := os.Lstat(filepath.Join(root, n)); err == nil && fi.Mode()&os.ModeDevice != 0 {
				t.Errorf("device: %s is a device node in the rootfs", n)
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		return nil
	}
	return b
}

// TestDeepLayerIsRefused loads an image whose layer nests directories 1,000
// deep: c/storage took minutes of CPU to unpack it (10,000 deep: ~80 s to
// fail). The scan refuses it first, in one line, and the store is unchanged;
// a layer 100 deep still loads.
func TestDeepLayerIsRefused(t *testing.T) {
	fixtures.RequireUserNS(t)
	dir := t.TempDir()
	deep, shallow := filepath.Join(dir, "deep.tar"), filepath.Join(dir, "shallow.tar")
	if err := fixtures.DeepArchive(deep, 1000); err != nil {
		t.Fatal(err)
	}
	if err := fixtures.DeepArchive(shallow, 100); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, "vfs")
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { _, err := st.Load(ctx, deep, "", nil); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute): // the guard of a test that used to take minutes
		t.Fatal("loading a 1,000-deep layer is still slow")
	}
	if !errors.Is(err, api.ErrInvalidArgument) || !strings.Contains(err.Error(), "257 directories deep (more than 256)") ||
		strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line refusing the deep layer, got %v", err)
	}
	if imgs, err := st.ListImages(ctx); err != nil || len(imgs) != 0 {
		t.Fatalf("the store must be unchanged: %v %v", imgs, err)
	}
	if _, err := st.Load(ctx, shallow, "", nil); err != nil {
		t.Fatalf("a layer 100 deep loads: %v", err)
	}
}
