package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// storageServer turns rrun.storage.v1 RPCs into Storage calls.
type storageServer struct {
	storagev1.UnimplementedStorageServer
	impl Storage
}

func (s *storageServer) Load(r *storagev1.LoadRequest, stream storagev1.Storage_LoadServer) error {
	progress := func(line string) { _ = stream.Send(&storagev1.LoadEvent{Progress: line}) }
	images, err := s.impl.Load(stream.Context(), r.GetPath(), r.GetFormat(), progress)
	if err != nil {
		return toStatus(err)
	}
	return stream.Send(&storagev1.LoadEvent{Loaded: imagesToProto(images)})
}

func (s *storageServer) ListImages(ctx context.Context, _ *storagev1.ListImagesRequest) (*storagev1.ListImagesResponse, error) {
	images, err := s.impl.ListImages(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.ListImagesResponse{Images: imagesToProto(images)}, nil
}

func (s *storageServer) InspectImage(ctx context.Context, r *storagev1.InspectImageRequest) (*storagev1.InspectImageResponse, error) {
	d, err := s.impl.InspectImage(ctx, r.GetRef())
	if err != nil {
		return nil, toStatus(err)
	}
	return imageDetailToProto(d), nil
}

func (s *storageServer) PrepareRootfs(ctx context.Context, r *storagev1.PrepareRootfsRequest) (*storagev1.PrepareRootfsResponse, error) {
	if r.GetWithImage() {
		return s.prepareImageRootfs(ctx, r)
	}
	var mounts []Mount
	var err error
	v, volatile := s.impl.(VolatileRootfs)
	if len(r.GetUidMap())+len(r.GetGidMap()) == 0 && volatile && r.GetVolatile() {
		mounts, err = v.PrepareVolatileRootfs(ctx, r.GetContainerId(), r.GetImage())
	} else if len(r.GetUidMap())+len(r.GetGidMap()) == 0 {
		mounts, err = s.impl.PrepareRootfs(ctx, r.GetContainerId(), r.GetImage())
	} else if m, ok := s.impl.(IDMappedRootfs); ok {
		mounts, err = m.PrepareMappedRootfs(ctx, r.GetContainerId(), r.GetImage(), idMapsFromProto(r.GetUidMap()), idMapsFromProto(r.GetGidMap()))
	} else {
		err = Errorf(ErrNotImplemented, "", "this storage plugin cannot id-map a root filesystem")
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.PrepareRootfsResponse{Mounts: mountsToProto(mounts)}, nil
}

// prepareImageRootfs serves a PrepareRootfs with_image (ImageRootfs).
func (s *storageServer) prepareImageRootfs(ctx context.Context, r *storagev1.PrepareRootfsRequest) (*storagev1.PrepareRootfsResponse, error) {
	p, ok := s.impl.(ImageRootfs)
	if !ok || len(r.GetUidMap())+len(r.GetGidMap()) > 0 {
		return nil, toStatus(Errorf(ErrNotImplemented, "", "this storage plugin cannot prepare a root filesystem from an image reference"))
	}
	d, mounts, err := p.PrepareImageRootfs(ctx, r.GetContainerId(), r.GetImage(), r.GetVolatile())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.PrepareRootfsResponse{Mounts: mountsToProto(mounts), Image: imageDetailToProto(d)}, nil
}

func (s *storageServer) ReleaseRootfs(ctx context.Context, r *storagev1.ReleaseRootfsRequest) (*storagev1.ReleaseRootfsResponse, error) {
	if err := s.impl.ReleaseRootfs(ctx, r.GetContainerId()); err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.ReleaseRootfsResponse{}, nil
}

func (s *storageServer) RemoveRootfs(ctx context.Context, r *storagev1.RemoveRootfsRequest) (*storagev1.RemoveRootfsResponse, error) {
	remove := s.impl.RemoveRootfs
	if b, ok := s.impl.(BackgroundRemover); ok && r.GetBackground() {
		remove = b.RemoveRootfsInBackground
	}
	if err := remove(ctx, r.GetContainerId()); err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.RemoveRootfsResponse{}, nil
}
