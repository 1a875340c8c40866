package api

import (
	"context"
	"time"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

var _ Committer = (*storageClient)(nil)

func layerToProto(l Layer) *storagev1.Layer {
	var created int64
	if !l.Created.IsZero() {
		created = l.Created.UnixNano()
	}
	return &storagev1.Layer{Id: l.ID, Parent: l.Parent, DiffDigest: l.DiffDigest, Size: l.Size,
		CreatedUnixNano: created, Empty: l.Empty}
}

func layerFromProto(l *storagev1.Layer) Layer {
	out := Layer{ID: l.GetId(), Parent: l.GetParent(), DiffDigest: l.GetDiffDigest(), Size: l.GetSize(), Empty: l.GetEmpty()}
	if ns := l.GetCreatedUnixNano(); ns != 0 {
		out.Created = time.Unix(0, ns).UTC()
	}
	return out
}

func (s *storageClient) PrepareLayerRootfs(ctx context.Context, containerID, parentLayer string) ([]Mount, error) {
	r, err := s.c.PrepareLayerRootfs(ctx, &storagev1.PrepareLayerRootfsRequest{ContainerId: containerID, ParentLayer: parentLayer})
	if err != nil {
		return nil, fromStatus(err)
	}
	return mountsFromProto(r.GetMounts()), nil
}

func (s *storageClient) CommitRootfs(ctx context.Context, containerID, cacheKey string) (Layer, error) {
	r, err := s.c.CommitRootfs(ctx, &storagev1.CommitRootfsRequest{ContainerId: containerID, CacheKey: cacheKey})
	if err != nil {
		return Layer{}, fromStatus(err)
	}
	return layerFromProto(r.GetLayer()), nil
}

func (s *storageClient) InspectLayer(ctx context.Context, id, cacheKey string) (Layer, error) {
	r, err := s.c.InspectLayer(ctx, &storagev1.InspectLayerRequest{Id: id, CacheKey: cacheKey})
	if err != nil {
		return Layer{}, fromStatus(err)
	}
	return layerFromProto(r.GetLayer()), nil
}

func (s *storageClient) CreateImage(ctx context.Context, img NewImage) (Image, error) {
	r, err := s.c.CreateImage(ctx, &storagev1.CreateImageRequest{TopLayer: img.TopLayer, ConfigJson: img.ConfigJSON, Names: img.Names})
	if err != nil {
		return Image{}, fromStatus(err)
	}
	return imageFromProto(r.GetImage()), nil
}

func (s *storageClient) PruneBuildCache(ctx context.Context) (PruneReport, error) {
	r, err := s.c.PruneBuildCache(ctx, &storagev1.PruneBuildCacheRequest{})
	if err != nil {
		return PruneReport{}, fromStatus(err)
	}
	return PruneReport{Deleted: r.GetDeleted(), Reclaimed: r.GetReclaimed()}, nil
}
