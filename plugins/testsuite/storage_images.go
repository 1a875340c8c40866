package testsuite

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// testImages loads both archives (when the backend can) and resolves the
// images by name, ID, "sha256:" ID and ID prefix.
func (s *storageSuite) testImages(t *testing.T) {
	b := s.newBackend(t)
	ctx := storageCtx(t)
	names := []string{s.fx.Image}
	if storageCanLoad(t, b) {
		names = []string{s.fx.DockerName, s.fx.OCIName}
		s.load(t, b, s.fx.DockerArchive, "", s.fx.DockerName)
		s.load(t, b, s.fx.OCIArchive, "oci-archive", s.fx.OCIName)
	}
	imgs, err := b.ListImages(ctx)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	for _, n := range names {
		img, ok := storageFindImage(imgs, n)
		if !ok {
			t.Errorf("ListImages = %+v, want an image named %s", imgs, n)
			continue
		}
		s.checkInspect(t, b, img, n)
	}
	_, err = b.InspectImage(ctx, "docker.io/library/rrun-no-such-image:latest")
	storageWantKind(t, "InspectImage of an unknown image", err, api.ErrNotFound)
	_, err = b.InspectImage(ctx, strings.Repeat("f", 64))
	storageWantKind(t, "InspectImage of an unknown ID", err, api.ErrNotFound)
}

// load loads p and checks that the result names the image.
func (s *storageSuite) load(t *testing.T, b api.Storage, p, format, name string) {
	t.Helper()
	var lines []string
	imgs, err := b.Load(storageCtx(t), p, format, func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatalf("Load %s: %v", p, err)
	}
	if _, ok := storageFindImage(imgs, name); !ok {
		t.Errorf("Load %s = %+v, want an image named %s", p, imgs, name)
	}
	if len(lines) == 0 {
		t.Logf("Load %s reported no progress", p)
	}
}

// checkInspect resolves img every way a user may name it.
func (s *storageSuite) checkInspect(t *testing.T, b api.Storage, img api.Image, name string) {
	t.Helper()
	refs := []string{name, img.ID, "sha256:" + img.ID, img.ID[:12]}
	if short, ok := strings.CutPrefix(name, "docker.io/library/"); ok {
		refs = append(refs, short)
		if base, ok := strings.CutSuffix(short, ":latest"); ok {
			refs = append(refs, base)
		}
	}
	for _, ref := range refs {
		d, err := b.InspectImage(storageCtx(t), ref)
		if err != nil {
			t.Errorf("InspectImage(%q): %v", ref, err)
			continue
		}
		if d.ID != img.ID {
			t.Errorf("InspectImage(%q).ID = %s, want %s", ref, d.ID, img.ID)
		}
		storageCheckConfig(t, ref, d.ConfigJSON)
	}
}

// checkConfig wants an OCI image config that can start a shell.
func storageCheckConfig(t *testing.T, ref string, raw []byte) {
	t.Helper()
	var cfg struct {
		Config struct {
			Env []string
			Cmd []string
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Errorf("InspectImage(%q).ConfigJSON is not JSON: %v", ref, err)
		return
	}
	if len(cfg.Config.Cmd) == 0 || !slices.ContainsFunc(cfg.Config.Env, func(e string) bool {
		return strings.HasPrefix(e, "PATH=")
	}) {
		t.Errorf("InspectImage(%q).ConfigJSON = %s, want a Cmd and a PATH", ref, raw)
	}
}

// testMalformed loads every broken archive: each must fail (with
// ErrInvalidArgument when the backend can load at all) and leave the
// image list as it was.
func (s *storageSuite) testMalformed(t *testing.T) {
	b, _ := s.withImage(t)
	ctx := storageCtx(t)
	before, err := b.ListImages(ctx)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	kind := api.ErrNotImplemented
	if storageCanLoad(t, b) {
		kind = api.ErrInvalidArgument
	}
	for _, p := range s.fx.Malformed {
		_, err := b.Load(ctx, p, "", nil)
		storageWantKind(t, "Load "+p, err, kind)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Load %s: error %q is not one line", p, err)
		}
	}
	after, err := b.ListImages(ctx)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	if !storageSameImages(before, after) {
		t.Errorf("after malformed loads, ListImages = %+v, want %+v", after, before)
	}
}

func storageFindImage(imgs []api.Image, name string) (api.Image, bool) {
	for _, img := range imgs {
		if slices.Contains(img.Names, name) {
			return img, true
		}
	}
	return api.Image{}, false
}

func storageSameImages(a, b []api.Image) bool {
	key := func(imgs []api.Image) []string {
		var ks []string
		for _, img := range imgs {
			names := slices.Clone(img.Names)
			slices.Sort(names)
			ks = append(ks, img.ID+"="+strings.Join(names, ","))
		}
		slices.Sort(ks)
		return ks
	}
	return slices.Equal(key(a), key(b))
}
