package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// notFoundHint tells a user how to get an image into the store.
const notFoundHint = "load or pull it first: rrun load -i FILE"

// ListImages returns every image of the store.
func (s *Store) ListImages(ctx context.Context) ([]api.Image, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	imgs, err := st.Images()
	if err != nil {
		return nil, fmt.Errorf("failed to list images: %w", err)
	}
	out := make([]api.Image, 0, len(imgs))
	for i := range imgs {
		out = append(out, toAPIImage(st, &imgs[i]))
	}
	return out, nil
}

// InspectImage resolves ref like docker does (a name, normalized; a full
// ID, with or without "sha256:"; or a unique ID prefix) and returns the
// image with its OCI config.
func (s *Store) InspectImage(ctx context.Context, ref string) (api.ImageDetail, error) {
	st, err := s.open()
	if err != nil {
		return api.ImageDetail{}, err
	}
	img, err := resolveImage(st, ref)
	if err != nil {
		return api.ImageDetail{}, err
	}
	cfg, err := imageConfig(st, img)
	if err != nil {
		return api.ImageDetail{}, err
	}
	return api.ImageDetail{Image: toAPIImage(st, img), ConfigJSON: cfg, TopLayer: img.TopLayer}, nil
}

// resolveImage finds the image ref names: by name first, then by ID or
// unique ID prefix.
func resolveImage(st cstore.Store, ref string) (*cstore.Image, error) {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		if img, err := st.Image(reference.TagNameOnly(n).String()); err == nil {
			return img, nil
		}
	}
	if id := strings.TrimPrefix(ref, "sha256:"); isHex(id) {
		if img, err := st.Image(id); err == nil {
			return img, nil
		}
	}
	return nil, api.Errorf(api.ErrNotFound, notFoundHint, "image %s not found", ref)
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// configCache keeps the configs imageConfig read, by image ID and manifest
// digest: a config is stored under its own digest, which that manifest
// names, so the pair always has the same config. A warm plugin reads each
// image's config once instead of on every run.
type configCache struct {
	mu   sync.Mutex
	byID map[string][]byte
}

// configCacheMax bounds the cache: past it, it starts again empty.
const configCacheMax = 64

func (c *configCache) config(st cstore.Store, img *cstore.Image) ([]byte, error) {
	key := img.ID + "@" + img.Digest.String()
	c.mu.Lock()
	cfg, ok := c.byID[key]
	c.mu.Unlock()
	if ok && img.Digest != "" {
		return cfg, nil
	}
	cfg, err := imageConfig(st, img)
	if err != nil || img.Digest == "" {
		return cfg, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil || len(c.byID) >= configCacheMax {
		c.byID = map[string][]byte{}
	}
	c.byID[key] = cfg
	return cfg, nil
}

// imageConfig returns the image's config JSON. OCI's and docker's schema2
// configs share their keys; docker's extra fields are kept for rrun build.
func imageConfig(st cstore.Store, img *cstore.Image) ([]byte, error) {
	mblob, err := st.ImageBigData(img.ID, cstore.ImageDigestBigDataKey)
	if err != nil {
		return nil, fmt.Errorf("failed to read the manifest of image %s: %w", img.ID, err)
	}
	m, err := manifest.FromBlob(mblob, manifest.GuessMIMEType(mblob))
	if err != nil {
		return nil, fmt.Errorf("failed to parse the manifest of image %s: %w", img.ID, err)
	}
	raw, err := st.ImageBigData(img.ID, m.ConfigInfo().Digest.String())
	if err != nil {
		return nil, fmt.Errorf("failed to read the config of image %s: %w", img.ID, err)
	}
	var cfg imgspecv1.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("failed to parse the config of image %s: %w", img.ID, err)
	}
	return raw, nil // as stored: docker's fields (Healthcheck, OnBuild, Shell) stay
}

func toAPIImage(st cstore.Store, img *cstore.Image) api.Image {
	size, err := st.ImageSize(img.ID)
	if err != nil {
		size = -1
	}
	return apiImage(img, size)
}

// apiImage is img with the given size (-1: unknown).
func apiImage(img *cstore.Image, size int64) api.Image {
	return api.Image{
		ID:      img.ID,
		Names:   append([]string(nil), img.Names...),
		Digest:  img.Digest.String(),
		Size:    size,
		Created: img.Created,
	}
}

// isUnknown reports whether err says that an image, a container or a
// layer does not exist.
func isUnknown(err error) bool {
	return errors.Is(err, cstore.ErrImageUnknown) || errors.Is(err, cstore.ErrContainerUnknown) ||
		errors.Is(err, cstore.ErrLayerUnknown)
}
