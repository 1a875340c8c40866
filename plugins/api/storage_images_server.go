package api

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// sendProgress returns a callback that streams progress events; gRPC
// streams take one Send at a time, and the callback may be called from
// several goroutines by contract only one at a time.
func sendProgress(send func(*storagev1.TransferEvent) error) func(LayerProgress) {
	return func(p LayerProgress) { _ = send(&storagev1.TransferEvent{Progress: layerProgressToProto(p)}) }
}

// images returns the implementation's ImageManager, or an
// ErrNotImplemented status for a backend that has none.
func (s *storageServer) images() (ImageManager, error) {
	if im, ok := s.impl.(ImageManager); ok {
		return im, nil
	}
	return nil, toStatus(Errorf(ErrNotImplemented, "use a storage plugin that manages images, e.g. overlay",
		"this storage plugin does not manage images"))
}

func (s *storageServer) Pull(r *storagev1.PullRequest, stream storagev1.Storage_PullServer) error {
	im, err := s.images()
	if err != nil {
		return err
	}
	img, err := im.Pull(stream.Context(), r.GetRef(), transferOptionsFromProto(r.GetOptions()), sendProgress(stream.Send))
	if err != nil {
		return toStatus(err)
	}
	return stream.Send(&storagev1.TransferEvent{Image: imageToProto(img)})
}

func (s *storageServer) Push(r *storagev1.PushRequest, stream storagev1.Storage_PushServer) error {
	im, err := s.images()
	if err != nil {
		return err
	}
	digest, err := im.Push(stream.Context(), r.GetImage(), r.GetDestination(), transferOptionsFromProto(r.GetOptions()), sendProgress(stream.Send))
	if err != nil {
		return toStatus(err)
	}
	return stream.Send(&storagev1.TransferEvent{Digest: digest})
}

func (s *storageServer) Save(ctx context.Context, r *storagev1.SaveRequest) (*storagev1.SaveResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	if err = im.Save(ctx, r.GetPath(), r.GetFormat(), r.GetRefs()); err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.SaveResponse{}, nil
}

func (s *storageServer) Import(ctx context.Context, r *storagev1.ImportRequest) (*storagev1.ImportResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	img, err := im.Import(ctx, r.GetPath(), r.GetRef())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.ImportResponse{Image: imageToProto(img)}, nil
}

func (s *storageServer) Tag(ctx context.Context, r *storagev1.TagRequest) (*storagev1.TagResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	if err = im.Tag(ctx, r.GetImage(), r.GetName()); err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.TagResponse{}, nil
}

func (s *storageServer) RemoveImage(ctx context.Context, r *storagev1.RemoveImageRequest) (*storagev1.RemoveImageResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	res, err := im.RemoveImage(ctx, r.GetRef(), r.GetForce())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.RemoveImageResponse{Untagged: res.Untagged, Deleted: res.Deleted}, nil
}

func (s *storageServer) Prune(ctx context.Context, r *storagev1.PruneRequest) (*storagev1.PruneResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	res, err := im.Prune(ctx, r.GetAll())
	if err != nil {
		return nil, toStatus(err)
	}
	return &storagev1.PruneResponse{Deleted: res.Deleted, Reclaimed: res.Reclaimed}, nil
}

func (s *storageServer) Usage(ctx context.Context, _ *storagev1.UsageRequest) (*storagev1.UsageResponse, error) {
	im, err := s.images()
	if err != nil {
		return nil, err
	}
	u, err := im.Usage(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return usageToProto(u), nil
}
