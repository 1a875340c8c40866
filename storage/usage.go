package storage

import (
	"context"
	"fmt"

	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// Usage reports the store's disk use; see api.ImageManager. A layer shared
// by images counts once; a container's size is its own writable layer.
func (s *Store) Usage(ctx context.Context) (api.StorageUsage, error) {
	st, err := s.open()
	if err != nil {
		return api.StorageUsage{}, err
	}
	s.settleRemovals() // a removed container's rootfs must not count
	layers, err := st.Layers()
	if err != nil {
		return api.StorageUsage{}, fmt.Errorf("failed to list layers: %w", err)
	}
	imgs, err := st.Images()
	if err != nil {
		return api.StorageUsage{}, fmt.Errorf("failed to list images: %w", err)
	}
	cs, err := st.Containers()
	if err != nil {
		return api.StorageUsage{}, fmt.Errorf("failed to list containers: %w", err)
	}
	g := newLayerGraph(layers)
	used := map[string]bool{}
	for _, c := range cs {
		used[c.ImageID] = true
	}
	all, active := map[string]bool{}, map[string]bool{}
	u := api.StorageUsage{Images: int64(len(imgs)), Containers: int64(len(cs)), Layers: int64(len(layers))}
	for _, img := range imgs {
		g.chain(img.TopLayer, all)
		if used[img.ID] {
			u.ActiveImages++
			g.chain(img.TopLayer, active)
		}
	}
	u.ImagesSize = g.size(all)
	u.ImagesReclaimable = u.ImagesSize - g.size(active)
	for _, l := range layers {
		u.LayersSize += max(0, l.UncompressedSize)
	}
	for _, c := range cs {
		if n, err := st.DiffSize("", c.LayerID); err == nil && n > 0 {
			u.ContainersSize += n
		}
	}
	return u, nil
}

// layerGraph indexes layers by ID.
type layerGraph map[string]cstore.Layer

func newLayerGraph(layers []cstore.Layer) layerGraph {
	g := make(layerGraph, len(layers))
	for _, l := range layers {
		g[l.ID] = l
	}
	return g
}

// chain adds top and its ancestors to set.
func (g layerGraph) chain(top string, set map[string]bool) {
	for id := top; id != "" && !set[id]; id = g[id].Parent {
		if _, ok := g[id]; !ok {
			return
		}
		set[id] = true
	}
}

func (g layerGraph) size(set map[string]bool) int64 {
	var n int64
	for id := range set {
		n += max(0, g[id].UncompressedSize)
	}
	return n
}
