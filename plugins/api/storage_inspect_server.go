package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// rootfsInspector returns the implementation's RootfsInspector, or an
// ErrNotImplemented status for a backend that has none.
func (s *storageServer) rootfsInspector() (RootfsInspector, error) {
	if c, ok := s.impl.(RootfsInspector); ok {
		return c, nil
	}
	return nil, toStatus(Errorf(ErrNotImplemented, "use a storage plugin with "+CapStorageRootfsInspect+", e.g. overlay",
		"this storage plugin cannot inspect root filesystems (no %s)", CapStorageRootfsInspect))
}

func (s *storageServer) RootfsSize(ctx context.Context, r *storagev1.RootfsSizeRequest) (*storagev1.RootfsSizeResponse, error) {
	c, err := s.rootfsInspector()
	if err != nil {
		return nil, err
	}
	sz, err := c.RootfsSize(ctx, r.GetContainerId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.RootfsSizeResponse{SizeRw: sz.RW, SizeRootfs: sz.RootFs}, nil
}

func (s *storageServer) RootfsChanges(ctx context.Context, r *storagev1.RootfsChangesRequest) (*storagev1.RootfsChangesResponse, error) {
	c, err := s.rootfsInspector()
	if err != nil {
		return nil, err
	}
	changes, err := c.RootfsChanges(ctx, r.GetContainerId())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &storagev1.RootfsChangesResponse{}
	for _, ch := range changes {
		out.Changes = append(out.Changes, &storagev1.RootfsChange{Path: ch.Path, Kind: ch.Kind})
	}
	return out, nil
}
