package api

import (
	"context"
	"errors"
	"io"

	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// storageClient turns Storage calls into rrun.storage.v1 RPCs.
type storageClient struct {
	pluginClient
	c storagev1.StorageClient
}

// NewStorageClient wraps a gRPC client of a storage plugin. The host gets
// one from the plugin manager; tests use it directly.
func NewStorageClient(p pluginv1.PluginClient, s storagev1.StorageClient) Storage {
	return &storageClient{pluginClient{p}, s}
}

func (s *storageClient) Load(ctx context.Context, path, format string, progress func(string)) ([]Image, error) {
	stream, err := s.c.Load(ctx, &storagev1.LoadRequest{Path: path, Format: format})
	if err != nil {
		return nil, fromStatus(err)
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, &Error{Kind: ErrInternal, Msg: "storage plugin ended Load without a result"}
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		if ev.GetProgress() != "" && progress != nil {
			progress(ev.GetProgress())
		}
		if len(ev.GetLoaded()) > 0 {
			return imagesFromProto(ev.GetLoaded()), nil
		}
	}
}

func (s *storageClient) ListImages(ctx context.Context) ([]Image, error) {
	r, err := s.c.ListImages(ctx, &storagev1.ListImagesRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	return imagesFromProto(r.GetImages()), nil
}

func (s *storageClient) InspectImage(ctx context.Context, ref string) (ImageDetail, error) {
	r, err := s.c.InspectImage(ctx, &storagev1.InspectImageRequest{Ref: ref})
	if err != nil {
		return ImageDetail{}, fromStatus(err)
	}
	return imageDetailFromProto(r), nil
}

func (s *storageClient) PrepareRootfs(ctx context.Context, containerID, image string) ([]Mount, error) {
	r, err := s.c.PrepareRootfs(ctx, &storagev1.PrepareRootfsRequest{ContainerId: containerID, Image: image})
	if err != nil {
		return nil, fromStatus(err)
	}
	return mountsFromProto(r.GetMounts()), nil
}

// PrepareMappedRootfs implements IDMappedRootfs; the plugin refuses it
// unless it announces CapStorageIDMap.
func (s *storageClient) PrepareMappedRootfs(ctx context.Context, containerID, image string, uidMap, gidMap []IDMap) ([]Mount, error) {
	r, err := s.c.PrepareRootfs(ctx, &storagev1.PrepareRootfsRequest{
		ContainerId: containerID, Image: image, UidMap: idMapsToProto(uidMap), GidMap: idMapsToProto(gidMap),
	})
	if err != nil {
		return nil, fromStatus(err)
	}
	return mountsFromProto(r.GetMounts()), nil
}

// PrepareVolatileRootfs implements VolatileRootfs; a plugin that predates
// it prepares an ordinary root filesystem.
func (s *storageClient) PrepareVolatileRootfs(ctx context.Context, containerID, image string) ([]Mount, error) {
	r, err := s.c.PrepareRootfs(ctx, &storagev1.PrepareRootfsRequest{ContainerId: containerID, Image: image, Volatile: true})
	if err != nil {
		return nil, fromStatus(err)
	}
	return mountsFromProto(r.GetMounts()), nil
}

// PrepareImageRootfs implements ImageRootfs; the host calls it only when
// the plugin announces CapStoragePrepareImage.
func (s *storageClient) PrepareImageRootfs(ctx context.Context, containerID, ref string, volatile bool) (ImageDetail, []Mount, error) {
	r, err := s.c.PrepareRootfs(ctx, &storagev1.PrepareRootfsRequest{ContainerId: containerID, Image: ref, Volatile: volatile, WithImage: true})
	if err != nil {
		return ImageDetail{}, nil, fromStatus(err)
	}
	if r.GetImage() == nil {
		return ImageDetail{}, nil, Errorf(ErrInternal, "", "storage plugin prepared %s without naming its image", containerID)
	}
	return imageDetailFromProto(r.GetImage()), mountsFromProto(r.GetMounts()), nil
}

func (s *storageClient) ReleaseRootfs(ctx context.Context, containerID string) error {
	_, err := s.c.ReleaseRootfs(ctx, &storagev1.ReleaseRootfsRequest{ContainerId: containerID})
	return fromStatus(err)
}

func (s *storageClient) RemoveRootfs(ctx context.Context, containerID string) error {
	_, err := s.c.RemoveRootfs(ctx, &storagev1.RemoveRootfsRequest{ContainerId: containerID})
	return fromStatus(err)
}

// RemoveRootfsInBackground implements BackgroundRemover; a plugin that
// predates it removes before answering.
func (s *storageClient) RemoveRootfsInBackground(ctx context.Context, containerID string) error {
	_, err := s.c.RemoveRootfs(ctx, &storagev1.RemoveRootfsRequest{ContainerId: containerID, Background: true})
	return fromStatus(err)
}
