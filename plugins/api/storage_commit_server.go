package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// committer returns the implementation's Committer, or an
// ErrNotImplemented status for a backend that has none.
func (s *storageServer) committer() (Committer, error) {
	if c, ok := s.impl.(Committer); ok {
		return c, nil
	}
	return nil, toStatus(Errorf(ErrNotImplemented, "use a storage plugin with "+CapStorageCommit+", e.g. overlay",
		"this storage plugin cannot commit layers (no %s)", CapStorageCommit))
}

func (s *storageServer) PrepareLayerRootfs(ctx context.Context, r *storagev1.PrepareLayerRootfsRequest) (*storagev1.PrepareRootfsResponse, error) {
	c, err := s.committer()
	if err != nil {
		return nil, err
	}
	mounts, err := c.PrepareLayerRootfs(ctx, r.GetContainerId(), r.GetParentLayer())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.PrepareRootfsResponse{Mounts: mountsToProto(mounts)}, nil
}

func (s *storageServer) CommitRootfs(ctx context.Context, r *storagev1.CommitRootfsRequest) (*storagev1.CommitRootfsResponse, error) {
	c, err := s.committer()
	if err != nil {
		return nil, err
	}
	l, err := c.CommitRootfs(ctx, r.GetContainerId(), r.GetCacheKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.CommitRootfsResponse{Layer: layerToProto(l)}, nil
}

func (s *storageServer) InspectLayer(ctx context.Context, r *storagev1.InspectLayerRequest) (*storagev1.InspectLayerResponse, error) {
	c, err := s.committer()
	if err != nil {
		return nil, err
	}
	l, err := c.InspectLayer(ctx, r.GetId(), r.GetCacheKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.InspectLayerResponse{Layer: layerToProto(l)}, nil
}

func (s *storageServer) CreateImage(ctx context.Context, r *storagev1.CreateImageRequest) (*storagev1.CreateImageResponse, error) {
	c, err := s.committer()
	if err != nil {
		return nil, err
	}
	img, err := c.CreateImage(ctx, NewImage{TopLayer: r.GetTopLayer(), ConfigJSON: r.GetConfigJson(), Names: r.GetNames()})
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.CreateImageResponse{Image: imageToProto(img)}, nil
}

func (s *storageServer) PruneBuildCache(ctx context.Context, _ *storagev1.PruneBuildCacheRequest) (*storagev1.PruneResponse, error) {
	p, ok := s.impl.(CachePruner)
	if !ok {
		return nil, toStatus(Errorf(ErrNotImplemented, "use a storage plugin with "+CapStorageBuildCache+", e.g. overlay",
			"this storage plugin cannot prune the build cache alone (no %s)", CapStorageBuildCache))
	}
	res, err := p.PruneBuildCache(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.PruneResponse{Deleted: res.Deleted, Reclaimed: res.Reclaimed}, nil
}
