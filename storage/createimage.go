package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	digest "github.com/opencontainers/go-digest"
	imgspecs "github.com/opencontainers/image-spec/specs-go"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// CreateImage makes an image of a layer chain and a config, stored as
// c/image's containers-storage transport stores a pulled one (the config
// under its digest, an OCI manifest of uncompressed layers under
// "manifest"), so that it is listed, run, saved and pushed the same way;
// see api.Committer.
func (s *Store) CreateImage(ctx context.Context, ni api.NewImage) (api.Image, error) {
	st, err := s.open()
	if err != nil {
		return api.Image{}, err
	}
	cfg, err := parseNewConfig(ni.ConfigJSON)
	if err != nil {
		return api.Image{}, err
	}
	chain, err := layerChain(st, ni.TopLayer)
	if err != nil {
		return api.Image{}, err
	}
	if err := checkDiffIDs(cfg, chain); err != nil {
		return api.Image{}, err
	}
	img, err := putImage(st, ni, cfg, chain)
	if err != nil {
		return api.Image{}, err
	}
	for _, name := range ni.Names {
		if err := s.Tag(ctx, img.ID, name); err != nil {
			return api.Image{}, err
		}
	}
	if img, err = st.Image(img.ID); err != nil {
		return api.Image{}, fmt.Errorf("failed to find image %s: %w", shortID(img.ID), err)
	}
	return toAPIImage(st, img), nil
}

func parseNewConfig(raw []byte) (*imgspecv1.Image, error) {
	var cfg imgspecv1.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "image config is not valid JSON: %v", err)
	}
	if cfg.RootFS.Type != "layers" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", `image config has rootfs type %q, not "layers"`, cfg.RootFS.Type)
	}
	return &cfg, nil
}

// layerChain returns top and its parents, bottom first.
func layerChain(st cstore.Store, top string) ([]*cstore.Layer, error) {
	var chain []*cstore.Layer
	for id := top; id != ""; {
		l, err := st.Layer(id)
		if isUnknown(err) {
			return nil, api.Errorf(api.ErrNotFound, "", "layer %s not found", id)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to find layer %s: %w", id, err)
		}
		chain = append(chain, l)
		id = l.Parent
	}
	slices.Reverse(chain)
	return chain, nil
}

func checkDiffIDs(cfg *imgspecv1.Image, chain []*cstore.Layer) error {
	ok := len(cfg.RootFS.DiffIDs) == len(chain)
	for i := 0; ok && i < len(chain); i++ {
		ok = chain[i].UncompressedDigest == cfg.RootFS.DiffIDs[i]
	}
	if !ok {
		return api.Errorf(api.ErrInvalidArgument, "", "image config lists %d diff ids that do not match the %d layers of the chain",
			len(cfg.RootFS.DiffIDs), len(chain))
	}
	return nil
}

// putImage stores the image record with its config and manifest, or finds
// the identical image (same config, so same ID) already there.
func putImage(st cstore.Store, ni api.NewImage, cfg *imgspecv1.Image, chain []*cstore.Layer) (*cstore.Image, error) {
	cfgDigest := digest.FromBytes(ni.ConfigJSON)
	id := cfgDigest.Encoded()
	if img, err := st.Image(id); err == nil {
		return img, nil
	}
	man, err := ociManifest(cfgDigest, int64(len(ni.ConfigJSON)), chain)
	if err != nil {
		return nil, err
	}
	manDigest := digest.FromBytes(man)
	opts := &cstore.ImageOptions{
		Digest: manDigest,
		BigData: []cstore.ImageBigDataOption{
			{Key: cfgDigest.String(), Data: ni.ConfigJSON, Digest: cfgDigest},
			{Key: "manifest-" + manDigest.String(), Data: man, Digest: manDigest},
			{Key: cstore.ImageDigestBigDataKey, Data: man, Digest: manDigest},
		},
	}
	if cfg.Created != nil {
		opts.CreationDate = *cfg.Created
	}
	top := ""
	if len(chain) > 0 {
		top = chain[len(chain)-1].ID
	}
	img, err := st.CreateImage(id, nil, top, "", opts)
	if errors.Is(err, cstore.ErrDuplicateID) { // made meanwhile
		return st.Image(id)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create image %s: %w", shortID(id), err)
	}
	return img, nil
}

// ociManifest describes the image with uncompressed layers: their digests
// are the diff ids, which c/image finds the layers by when it saves or
// pushes (compressing them on the way when the destination wants it).
func ociManifest(cfgDigest digest.Digest, cfgSize int64, chain []*cstore.Layer) ([]byte, error) {
	m := imgspecv1.Manifest{
		Versioned: imgspecs.Versioned{SchemaVersion: 2},
		MediaType: imgspecv1.MediaTypeImageManifest,
		Config:    imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageConfig, Digest: cfgDigest, Size: cfgSize},
		Layers:    []imgspecv1.Descriptor{},
	}
	for _, l := range chain {
		m.Layers = append(m.Layers, imgspecv1.Descriptor{
			MediaType: imgspecv1.MediaTypeImageLayer, Digest: l.UncompressedDigest, Size: l.UncompressedSize,
		})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("failed to encode a manifest: %w", err)
	}
	return b, nil
}
