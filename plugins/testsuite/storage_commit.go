package testsuite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/rrun-project/rrun/plugins/api"
)

// TestStorageCommit is the conformance suite of api.Committer: run it for
// a backend that announces api.CapStorageCommit, after TestStorage. Each
// case commits changes made in a writable root filesystem, builds an image
// of the layers and looks at a root filesystem of that image.
func TestStorageCommit(t *testing.T, newBackend func(t *testing.T) api.Storage, fixtures StorageFixtures) {
	s := &storageSuite{newBackend: newBackend, fx: fixtures}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"Whiteout", s.testCommitWhiteout},
		{"Metadata", s.testCommitMetadata},
		{"EmptyAndCache", s.testCommitEmptyAndCache},
		{"ImageFromScratch", s.testCommitScratch},
		{"Concurrent", s.testCommitConcurrent},
		{"Errors", s.testCommitErrors},
		{"PruneBuildCache", s.testPruneBuildCache},
	} {
		t.Run(tc.name, tc.fn)
	}
}

// committer returns a backend with busybox loaded, its Committer and the
// image's top layer and config.
func (s *storageSuite) committer(t *testing.T) (api.Storage, api.Committer, api.ImageDetail) {
	b, image := s.withImage(t)
	info, err := b.Info(storageCtx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	c, ok := b.(api.Committer)
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageCommit) {
		t.Skipf("backend %s does not announce %s", info.Name, api.CapStorageCommit)
	}
	d, err := b.InspectImage(storageCtx(t), image)
	if err != nil {
		t.Fatalf("InspectImage(%s): %v", image, err)
	}
	if d.TopLayer == "" {
		t.Fatalf("InspectImage(%s) has no TopLayer", image)
	}
	return b, c, d
}

// commitStep prepares a rootfs on parent, lets change edit it and commits it.
func commitStep(t *testing.T, b api.Storage, c api.Committer, parent, key string, change func(dir string)) api.Layer {
	t.Helper()
	ctx := storageCtx(t)
	id := storageContainerID()
	ms, err := c.PrepareLayerRootfs(ctx, id, parent)
	if err != nil {
		t.Fatalf("PrepareLayerRootfs(%s, %s): %v", id, parent, err)
	}
	dir, _ := storageRootDir(t, ms)
	change(dir)
	l, err := c.CommitRootfs(ctx, id, key)
	if err != nil {
		t.Fatalf("CommitRootfs(%s): %v", id, err)
	}
	if err := b.RemoveRootfs(ctx, id); err != nil {
		t.Fatalf("RemoveRootfs(%s): %v", id, err)
	}
	return l
}

// imageOf creates an image of top, whose whole chain is layers.
func imageOf(t *testing.T, c api.Committer, base imgspecv1.Image, top string, layers ...api.Layer) api.Image {
	t.Helper()
	cfg := base
	cfg.RootFS.DiffIDs = nil
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digest.Digest(l.DiffDigest))
	}
	cfg.RootFS.Type = "layers"
	now := time.Now().UTC()
	cfg.Created = &now
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.CreateImage(storageCtx(t), api.NewImage{TopLayer: top, ConfigJSON: raw})
	if err != nil {
		t.Fatalf("CreateImage(%s): %v", top, err)
	}
	if want := digest.FromBytes(raw).Encoded(); img.ID != want {
		t.Errorf("CreateImage ID = %s, want the config digest %s", img.ID, want)
	}
	return img
}

func baseConfig(t *testing.T, d api.ImageDetail) imgspecv1.Image {
	t.Helper()
	var cfg imgspecv1.Image
	if err := json.Unmarshal(d.ConfigJSON, &cfg); err != nil {
		t.Fatalf("image config: %v", err)
	}
	return cfg
}

func mustWrite(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// testCommitWhiteout deletes a file of a lower layer and replaces a
// directory: the image made of the layers shows neither the file nor the
// old directory's content.
func (s *storageSuite) testCommitWhiteout(t *testing.T) {
	b, c, d := s.committer(t)
	l1 := commitStep(t, b, c, d.TopLayer, "", func(dir string) {
		mustWrite(t, filepath.Join(dir, "gone"), "x", 0o644)
		mustWrite(t, filepath.Join(dir, "d", "old"), "x", 0o644)
	})
	l2 := commitStep(t, b, c, l1.ID, "", func(dir string) {
		if err := os.Remove(filepath.Join(dir, "gone")); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(dir, "d")); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, "d", "new"), "y", 0o644)
	})
	if l2.Empty || l2.Parent != l1.ID || l2.DiffDigest == "" || l2.Size <= 0 {
		t.Fatalf("second commit = %+v, want a layer on %s with a digest and size", l2, l1.ID)
	}
	img := imageOf(t, c, baseConfig(t, d), l2.ID, chainOf(t, c, l2.ID)...)
	dir, _ := storagePrepare(t, b, storageContainerID(), img.ID)
	for _, gone := range []string{"gone", "d/old"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is in the image after it was deleted (err %v)", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d", "new")); err != nil {
		t.Errorf("d/new is missing: %v", err)
	}
}

// chainOf returns top's layers, bottom first, through InspectLayer.
func chainOf(t *testing.T, c api.Committer, top string) []api.Layer {
	t.Helper()
	var out []api.Layer
	for id := top; id != ""; {
		l, err := c.InspectLayer(storageCtx(t), id, "")
		if err != nil {
			t.Fatalf("InspectLayer(%s): %v", id, err)
		}
		if l.ID != id || l.DiffDigest == "" {
			t.Fatalf("InspectLayer(%s) = %+v", id, l)
		}
		out = append([]api.Layer{l}, out...)
		id = l.Parent
	}
	return out
}

// testCommitMetadata checks that owners, modes, setuid bits, hardlinks
// and modification times survive a commit.
func (s *storageSuite) testCommitMetadata(t *testing.T) {
	b, c, d := s.committer(t)
	mtime := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	l := commitStep(t, b, c, d.TopLayer, "", func(dir string) {
		p := filepath.Join(dir, "suid")
		mustWrite(t, p, "#!/bin/sh\n", 0o755)
		if err := os.Chown(p, 1, 2); err != nil {
			t.Skipf("chown in the rootfs: %v (needs a uid range)", err)
		}
		if err := os.Chmod(p, 0o4755|os.ModeSetuid); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(p, filepath.Join(dir, "hardlink")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	})
	img := imageOf(t, c, baseConfig(t, d), l.ID, chainOf(t, c, l.ID)...)
	dir, _ := storagePrepare(t, b, storageContainerID(), img.ID)
	a, err := os.Stat(filepath.Join(dir, "suid"))
	if err != nil {
		t.Fatal(err)
	}
	st := a.Sys().(*syscall.Stat_t)
	if a.Mode()&os.ModeSetuid == 0 || a.Mode().Perm() != 0o755 || st.Uid != 1 || st.Gid != 2 {
		t.Errorf("suid: mode %v uid %d gid %d, want setuid 0755 owned by 1:2", a.Mode(), st.Uid, st.Gid)
	}
	if !a.ModTime().Equal(mtime) {
		t.Errorf("suid: mtime %v, want %v", a.ModTime(), mtime)
	}
	h, err := os.Stat(filepath.Join(dir, "hardlink"))
	if err != nil || !os.SameFile(a, h) {
		t.Errorf("hardlink is not the same file as suid (err %v)", err)
	}
}

// testCommitEmptyAndCache: a commit without changes makes no layer, and a
// cache key finds the layer committed with it.
func (s *storageSuite) testCommitEmptyAndCache(t *testing.T) {
	b, c, d := s.committer(t)
	ctx := storageCtx(t)
	key := fmt.Sprintf("suite-%d-%d", os.Getpid(), time.Now().UnixNano())
	e := commitStep(t, b, c, d.TopLayer, key+"-empty", func(string) {})
	if !e.Empty || e.ID != d.TopLayer {
		t.Errorf("empty commit = %+v, want Empty with the parent %s", e, d.TopLayer)
	}
	l := commitStep(t, b, c, d.TopLayer, key, func(dir string) { mustWrite(t, filepath.Join(dir, "f"), "1", 0o644) })
	got, err := c.InspectLayer(ctx, "", key)
	if err != nil || got.ID != l.ID || got.DiffDigest != l.DiffDigest {
		t.Errorf("InspectLayer(cache %s) = %+v, %v; want %+v", key, got, err, l)
	}
	if got, err := c.InspectLayer(ctx, "", key+"-empty"); err != nil || got.ID != d.TopLayer {
		t.Errorf("InspectLayer(cache of the empty commit) = %+v, %v; want the parent", got, err)
	}
	_, err = c.InspectLayer(ctx, "", key+"-unknown")
	storageWantKind(t, "InspectLayer(unknown cache key)", err, api.ErrNotFound)
}

// testCommitScratch builds an image from an empty root filesystem.
func (s *storageSuite) testCommitScratch(t *testing.T) {
	b, c, d := s.committer(t)
	l := commitStep(t, b, c, "", "", func(dir string) { mustWrite(t, filepath.Join(dir, "hello"), "hi", 0o644) })
	if l.Parent != "" || l.Empty {
		t.Fatalf("commit on scratch = %+v", l)
	}
	cfg := baseConfig(t, d)
	cfg.RootFS.DiffIDs = nil
	img := imageOf(t, c, cfg, l.ID, l)
	images, err := b.ListImages(storageCtx(t))
	if err != nil || !slices.ContainsFunc(images, func(i api.Image) bool { return i.ID == img.ID }) {
		t.Errorf("ListImages = %v, %v: the created image %s is missing", images, err, img.ID)
	}
	bad := cfg
	bad.RootFS.DiffIDs = []digest.Digest{digest.FromString("other")}
	raw, _ := json.Marshal(bad)
	_, err = c.CreateImage(storageCtx(t), api.NewImage{TopLayer: l.ID, ConfigJSON: raw})
	storageWantKind(t, "CreateImage(wrong diff ids)", err, api.ErrInvalidArgument)
}

// testCommitConcurrent commits several containers at once on one parent.
func (s *storageSuite) testCommitConcurrent(t *testing.T) {
	b, c, d := s.committer(t)
	const n = 4
	var wg sync.WaitGroup
	layers := make([]api.Layer, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			layers[i], errs[i] = concurrentCommit(t, b, c, d.TopLayer, i)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("commit %d: %v", i, errs[i])
			continue
		}
		if seen[layers[i].ID] || layers[i].Parent != d.TopLayer {
			t.Errorf("commit %d = %+v: a layer twice, or not on %s", i, layers[i], d.TopLayer)
		}
		seen[layers[i].ID] = true
	}
}

func concurrentCommit(t *testing.T, b api.Storage, c api.Committer, parent string, i int) (api.Layer, error) {
	ctx := storageCtx(t)
	id := storageContainerID()
	ms, err := c.PrepareLayerRootfs(ctx, id, parent)
	if err != nil {
		return api.Layer{}, err
	}
	defer b.RemoveRootfs(ctx, id)
	var dir string
	for _, m := range ms {
		if m.Target == "/" && m.Type == "bind" {
			dir = m.Source
		}
	}
	if dir == "" {
		return api.Layer{}, fmt.Errorf("mounts %+v: no bind at /", ms)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
		return api.Layer{}, err
	}
	return c.CommitRootfs(ctx, id, "")
}

func (s *storageSuite) testCommitErrors(t *testing.T) {
	_, c, _ := s.committer(t)
	ctx := storageCtx(t)
	_, err := c.CommitRootfs(ctx, storageContainerID(), "")
	storageWantKind(t, "CommitRootfs(unknown container)", err, api.ErrNotFound)
	_, err = c.PrepareLayerRootfs(ctx, storageContainerID(), "no-such-layer")
	storageWantKind(t, "PrepareLayerRootfs(unknown layer)", err, api.ErrNotFound)
	_, err = c.CreateImage(ctx, api.NewImage{ConfigJSON: []byte("{")})
	storageWantKind(t, "CreateImage(bad JSON)", err, api.ErrInvalidArgument)
}
