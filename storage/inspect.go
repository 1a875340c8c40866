package storage

import (
	"context"
	"fmt"
	"path"
	"sort"

	"go.podman.io/storage/pkg/archive"

	"github.com/rrun-project/rrun/plugins/api"
)

// RootfsSize reports containerID's writable layer and whole root
// filesystem sizes; see api.RootfsInspector.
func (s *Store) RootfsSize(ctx context.Context, containerID string) (api.RootfsSize, error) {
	st, err := s.open()
	if err != nil {
		return api.RootfsSize{}, err
	}
	rw, err := rootfsLayer(st, containerID)
	if err != nil {
		return api.RootfsSize{}, err
	}
	n, err := st.DiffSize("", rw.ID)
	if err != nil {
		return api.RootfsSize{}, fmt.Errorf("failed to measure the rootfs of %s: %w", containerID, err)
	}
	layers, err := st.Layers()
	if err != nil {
		return api.RootfsSize{}, fmt.Errorf("failed to list layers: %w", err)
	}
	chain := map[string]bool{}
	g := newLayerGraph(layers)
	g.chain(rw.Parent, chain)
	return api.RootfsSize{RW: max(0, n), RootFs: max(0, n) + g.size(chain)}, nil
}

// RootfsChanges lists what containerID changed relative to its image, as
// docker diff; see api.RootfsInspector.
func (s *Store) RootfsChanges(ctx context.Context, containerID string) ([]api.RootfsChange, error) {
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	rw, err := rootfsLayer(st, containerID)
	if err != nil {
		return nil, err
	}
	changes, err := st.Changes(rw.Parent, rw.ID)
	if err != nil {
		return nil, fmt.Errorf("failed to list the changes of %s: %w", containerID, err)
	}
	return toAPIChanges(changes), nil
}

func toAPIChanges(changes []archive.Change) []api.RootfsChange {
	kinds := map[archive.ChangeType]string{archive.ChangeAdd: api.ChangeAdded, archive.ChangeModify: api.ChangeChanged,
		archive.ChangeDelete: api.ChangeDeleted}
	out := make([]api.RootfsChange, 0, len(changes))
	for _, c := range changes {
		out = append(out, api.RootfsChange{Path: path.Join("/", c.Path), Kind: kinds[c.Kind]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
