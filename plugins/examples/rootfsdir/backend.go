package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// ImageName is the one image this plugin serves.
const ImageName = "example/rootfs:latest"

// fullName is ImageName normalized like docker does.
const fullName = "docker.io/" + ImageName

// backend serves one directory as one image. Every container gets a
// read-only bind of that directory, so Prepare keeps no state and
// Release and Remove have nothing to undo.
type backend struct {
	mu     sync.Mutex
	rootfs string
	image  api.ImageDetail
}

func (b *backend) Info(ctx context.Context) (api.PluginInfo, error) {
	return api.PluginInfo{
		Kind:         api.KindStorage,
		Name:         "rootfsdir",
		Version:      "0.1.0",
		APIVersions:  []string{api.APIVersion},
		Capabilities: []string{api.CapStorageRootfs},
	}, nil
}

func (b *backend) Configure(ctx context.Context, cfg api.Config) error {
	dir := cfg.Options["rootfs"]
	if dir == "" {
		dir = os.Getenv("RRUN_EXAMPLE_ROOTFS")
	}
	if dir == "" {
		return api.Errorf(api.ErrInvalidArgument, "set the plugin option rootfs=DIR or RRUN_EXAMPLE_ROOTFS",
			"rootfsdir: no root filesystem directory given")
	}
	// unix.Access checks with the caller's ids, as the container will.
	if err := unix.Access(filepath.Join(dir, "bin"), unix.R_OK|unix.X_OK); err != nil {
		return api.Errorf(api.ErrFailedPrecondition, "point it at an unpacked image with a /bin",
			"rootfsdir: %s is not a root filesystem: %v", dir, err)
	}
	img, err := describe(dir)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rootfs, b.image = dir, img
	return nil
}

// describe makes the image: its ID is a digest of its config, which names
// the directory, so that two directories are two images.
func describe(dir string) (api.ImageDetail, error) {
	created := time.Unix(0, 0).UTC()
	if st, err := os.Stat(dir); err == nil {
		created = st.ModTime().UTC()
	}
	cfg, err := json.Marshal(map[string]any{
		"created": created, "architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{
			"Env":    []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd":    []string{"sh"},
			"Labels": map[string]string{"org.rrun.example.rootfs": dir},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}},
	})
	if err != nil {
		return api.ImageDetail{}, err
	}
	sum := sha256.Sum256(cfg)
	id := hex.EncodeToString(sum[:])
	return api.ImageDetail{
		Image:      api.Image{ID: id, Names: []string{fullName}, Digest: "sha256:" + id, Created: created},
		ConfigJSON: cfg,
	}, nil
}

func (b *backend) current() (string, api.ImageDetail, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rootfs == "" {
		return "", api.ImageDetail{}, api.Errorf(api.ErrFailedPrecondition, "", "rootfsdir used before Configure")
	}
	return b.rootfs, b.image, nil
}

func (b *backend) Load(ctx context.Context, path, format string, progress func(string)) ([]api.Image, error) {
	return nil, api.Errorf(api.ErrNotImplemented, "use a storage plugin that can load, e.g. overlay",
		"rootfsdir serves one directory and cannot load %s", path)
}

func (b *backend) ListImages(ctx context.Context) ([]api.Image, error) {
	_, img, err := b.current()
	if err != nil {
		return nil, err
	}
	return []api.Image{img.Image}, nil
}

func (b *backend) InspectImage(ctx context.Context, ref string) (api.ImageDetail, error) {
	_, img, err := b.current()
	if err != nil {
		return api.ImageDetail{}, err
	}
	if !matches(img.ID, ref) {
		return api.ImageDetail{}, api.Errorf(api.ErrNotFound, "this plugin serves only "+ImageName,
			"image %s not found", ref)
	}
	return img, nil
}

// matches resolves ref like docker: a name (with docker.io/ and :latest
// implied), a full ID with or without sha256:, or an ID prefix.
func matches(id, ref string) bool {
	name := ref
	if !strings.Contains(name, ":") {
		name += ":latest"
	}
	if name == ImageName || name == fullName {
		return true
	}
	hexID := strings.TrimPrefix(ref, "sha256:")
	return hexID != "" && strings.HasPrefix(id, hexID)
}

func (b *backend) PrepareRootfs(ctx context.Context, containerID, image string) ([]api.Mount, error) {
	dir, img, err := b.current()
	if err != nil {
		return nil, err
	}
	if !matches(img.ID, image) {
		return nil, api.Errorf(api.ErrNotFound, "this plugin serves only "+ImageName, "image %s not found", image)
	}
	return []api.Mount{{Type: "bind", Source: dir, Target: "/", Options: []string{"rbind", "ro"}}}, nil
}

func (b *backend) ReleaseRootfs(ctx context.Context, containerID string) error { return nil }

func (b *backend) RemoveRootfs(ctx context.Context, containerID string) error { return nil }
