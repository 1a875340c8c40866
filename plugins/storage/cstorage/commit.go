package cstorage

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api"
)

// The api.Committer methods hand over to storage.Store; see the contract
// in plugins/api/storage_commit.go.

var _ api.Committer = (*Backend)(nil)

func (b *Backend) PrepareLayerRootfs(ctx context.Context, containerID, parent string) ([]api.Mount, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.PrepareLayerRootfs(ctx, containerID, parent)
}

func (b *Backend) CommitRootfs(ctx context.Context, containerID, cacheKey string) (api.Layer, error) {
	st, err := b.get()
	if err != nil {
		return api.Layer{}, err
	}
	return st.CommitRootfs(ctx, containerID, cacheKey)
}

func (b *Backend) InspectLayer(ctx context.Context, id, cacheKey string) (api.Layer, error) {
	st, err := b.get()
	if err != nil {
		return api.Layer{}, err
	}
	return st.InspectLayer(ctx, id, cacheKey)
}

func (b *Backend) CreateImage(ctx context.Context, img api.NewImage) (api.Image, error) {
	st, err := b.get()
	if err != nil {
		return api.Image{}, err
	}
	return st.CreateImage(ctx, img)
}

func (b *Backend) PruneBuildCache(ctx context.Context) (api.PruneReport, error) {
	st, err := b.get()
	if err != nil {
		return api.PruneReport{}, err
	}
	return st.PruneBuildCache(ctx)
}

var _ api.RootfsInspector = (*Backend)(nil)

func (b *Backend) RootfsSize(ctx context.Context, containerID string) (api.RootfsSize, error) {
	st, err := b.get()
	if err != nil {
		return api.RootfsSize{}, err
	}
	return st.RootfsSize(ctx, containerID)
}

func (b *Backend) RootfsChanges(ctx context.Context, containerID string) ([]api.RootfsChange, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.RootfsChanges(ctx, containerID)
}
