package cstorage

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api"
)

// The api.Storage methods hand over to storage.Store; see its contract in
// plugins/api/storage.go.

func (b *Backend) Load(ctx context.Context, path, format string, progress func(string)) ([]api.Image, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.Load(ctx, path, format, progress)
}

func (b *Backend) ListImages(ctx context.Context) ([]api.Image, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.ListImages(ctx)
}

func (b *Backend) InspectImage(ctx context.Context, ref string) (api.ImageDetail, error) {
	st, err := b.get()
	if err != nil {
		return api.ImageDetail{}, err
	}
	return st.InspectImage(ctx, ref)
}

func (b *Backend) PrepareRootfs(ctx context.Context, containerID, image string) ([]api.Mount, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.PrepareRootfs(ctx, containerID, image)
}

func (b *Backend) PrepareMappedRootfs(ctx context.Context, containerID, image string, uidMap, gidMap []api.IDMap) ([]api.Mount, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.PrepareMappedRootfs(ctx, containerID, image, uidMap, gidMap)
}

func (b *Backend) ReleaseRootfs(ctx context.Context, containerID string) error {
	st, err := b.get()
	if err != nil {
		return err
	}
	return st.ReleaseRootfs(ctx, containerID)
}

func (b *Backend) RemoveRootfs(ctx context.Context, containerID string) error {
	st, err := b.get()
	if err != nil {
		return err
	}
	return st.RemoveRootfs(ctx, containerID)
}

func (b *Backend) PrepareVolatileRootfs(ctx context.Context, containerID, image string) ([]api.Mount, error) {
	st, err := b.get()
	if err != nil {
		return nil, err
	}
	return st.PrepareVolatileRootfs(ctx, containerID, image)
}

func (b *Backend) PrepareImageRootfs(ctx context.Context, containerID, ref string, volatile bool) (api.ImageDetail, []api.Mount, error) {
	st, err := b.get()
	if err != nil {
		return api.ImageDetail{}, nil, err
	}
	return st.PrepareImageRootfs(ctx, containerID, ref, volatile)
}

func (b *Backend) RemoveRootfsInBackground(ctx context.Context, containerID string) error {
	st, err := b.get()
	if err != nil {
		return err
	}
	return st.RemoveRootfsInBackground(ctx, containerID)
}
