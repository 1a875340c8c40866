package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

var _ RootfsInspector = (*storageClient)(nil)

func (s *storageClient) RootfsSize(ctx context.Context, containerID string) (RootfsSize, error) {
	r, err := s.c.RootfsSize(ctx, &storagev1.RootfsSizeRequest{ContainerId: containerID})
	if err != nil {
		return RootfsSize{}, fromStatus(err)
	}
	return RootfsSize{RW: r.GetSizeRw(), RootFs: r.GetSizeRootfs()}, nil
}

func (s *storageClient) RootfsChanges(ctx context.Context, containerID string) ([]RootfsChange, error) {
	r, err := s.c.RootfsChanges(ctx, &storagev1.RootfsChangesRequest{ContainerId: containerID})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]RootfsChange, 0, len(r.GetChanges()))
	for _, c := range r.GetChanges() {
		out = append(out, RootfsChange{Path: c.GetPath(), Kind: c.GetKind()})
	}
	return out, nil
}
