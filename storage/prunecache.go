package storage

import (
	"context"
	"fmt"
	"strings"

	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// pruneBuildLayers deletes the build cache no image uses: committed step
// layers (named cachePrefix...) and the writable layers of build steps a
// killed build left unmounted, leaves first, until none is left. A layer
// an image, a container or another layer stands on stays.
func pruneBuildLayers(st cstore.Store) error {
	for {
		n, err := pruneBuildLeaves(st)
		if err != nil || n == 0 {
			return err
		}
	}
}

func pruneBuildLeaves(st cstore.Store) (int, error) {
	layers, err := st.Layers()
	if err != nil {
		return 0, fmt.Errorf("failed to list layers: %w", err)
	}
	used, err := usedLayers(st, layers)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, l := range layers {
		if used[l.ID] || !isBuildLayer(l) {
			continue
		}
		if n, err := st.Mounted(l.ID); err == nil && n > 0 && !staleMount(st, l) {
			continue // a build step running now
		}
		if err := st.DeleteLayer(l.ID); err != nil && !isUnknown(err) {
			return deleted, fmt.Errorf("failed to delete build layer %s: %w", shortID(l.ID), err)
		}
		deleted++
	}
	return deleted, nil
}

func isBuildLayer(l cstore.Layer) bool {
	for _, n := range l.Names {
		if strings.HasPrefix(n, cachePrefix) || strings.HasPrefix(n, buildRootfsPrefix) {
			return true
		}
	}
	return false
}

// usedLayers is the set of layers that are an image's top layer, a
// container's, or another layer's parent.
func usedLayers(st cstore.Store, layers []cstore.Layer) (map[string]bool, error) {
	used := map[string]bool{}
	for _, l := range layers {
		used[l.Parent] = true
	}
	imgs, err := st.Images()
	if err != nil {
		return nil, fmt.Errorf("failed to list images: %w", err)
	}
	for _, img := range imgs {
		used[img.TopLayer] = true
	}
	cs, err := st.Containers()
	if err != nil {
		return nil, fmt.Errorf("failed to list containers: %w", err)
	}
	for _, c := range cs {
		used[c.LayerID] = true
	}
	return used, nil
}

// PruneBuildCache deletes the build cache no image uses and nothing else
// (api.CachePruner): unnamed images stay. The layers an image still uses
// lose their cache keys, so that, as with docker, the next build runs
// every step again.
func (s *Store) PruneBuildCache(ctx context.Context) (api.PruneReport, error) {
	st, err := s.open()
	if err != nil {
		return api.PruneReport{}, err
	}
	before, err := s.Usage(ctx)
	if err != nil {
		return api.PruneReport{}, err
	}
	if err := pruneBuildLayers(st); err != nil {
		return api.PruneReport{}, err
	}
	if err := forgetCacheKeys(st); err != nil {
		return api.PruneReport{}, err
	}
	var rep api.PruneReport
	if after, err := s.Usage(ctx); err == nil {
		rep.Reclaimed = max(0, before.LayersSize-after.LayersSize)
	}
	return rep, nil
}

// forgetCacheKeys removes the cache keys of the layers that stay.
func forgetCacheKeys(st cstore.Store) error {
	layers, err := st.Layers()
	if err != nil {
		return fmt.Errorf("failed to list layers: %w", err)
	}
	for _, l := range layers {
		var keys []string
		for _, n := range l.Names {
			if strings.HasPrefix(n, cachePrefix) {
				keys = append(keys, n)
			}
		}
		if len(keys) == 0 {
			continue
		}
		if err := st.RemoveNames(l.ID, keys); err != nil && !isUnknown(err) {
			return fmt.Errorf("failed to forget the cache key of layer %s: %w", shortID(l.ID), err)
		}
	}
	return nil
}
