package api

import (
	"context"
	"errors"
	"io"

	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

// transferStream is what Pull and Push streams have in common.
type transferStream interface {
	Recv() (*storagev1.TransferEvent, error)
}

// recvTransfer reads progress until the last event, which it returns.
func recvTransfer(stream transferStream, call string, progress func(LayerProgress)) (*storagev1.TransferEvent, error) {
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, &Error{Kind: ErrInternal, Msg: "storage plugin ended " + call + " without a result"}
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		if p := ev.GetProgress(); p != nil {
			if progress != nil {
				progress(layerProgressFromProto(p))
			}
			continue
		}
		return ev, nil
	}
}

func (s *storageClient) Pull(ctx context.Context, ref string, opts TransferOptions, progress func(LayerProgress)) (Image, error) {
	stream, err := s.c.Pull(ctx, &storagev1.PullRequest{Ref: ref, Options: transferOptionsToProto(opts)})
	if err != nil {
		return Image{}, fromStatus(err)
	}
	ev, err := recvTransfer(stream, "Pull", progress)
	if err != nil {
		return Image{}, err
	}
	return imageFromProto(ev.GetImage()), nil
}

func (s *storageClient) Push(ctx context.Context, image, destination string, opts TransferOptions, progress func(LayerProgress)) (string, error) {
	stream, err := s.c.Push(ctx, &storagev1.PushRequest{Image: image, Destination: destination, Options: transferOptionsToProto(opts)})
	if err != nil {
		return "", fromStatus(err)
	}
	ev, err := recvTransfer(stream, "Push", progress)
	if err != nil {
		return "", err
	}
	return ev.GetDigest(), nil
}

func (s *storageClient) Save(ctx context.Context, path, format string, refs []string) error {
	_, err := s.c.Save(ctx, &storagev1.SaveRequest{Path: path, Format: format, Refs: refs})
	return fromStatus(err)
}

func (s *storageClient) Import(ctx context.Context, path, ref string) (Image, error) {
	r, err := s.c.Import(ctx, &storagev1.ImportRequest{Path: path, Ref: ref})
	if err != nil {
		return Image{}, fromStatus(err)
	}
	return imageFromProto(r.GetImage()), nil
}

func (s *storageClient) Tag(ctx context.Context, image, name string) error {
	_, err := s.c.Tag(ctx, &storagev1.TagRequest{Image: image, Name: name})
	return fromStatus(err)
}

func (s *storageClient) RemoveImage(ctx context.Context, ref string, force bool) (RemovedImage, error) {
	r, err := s.c.RemoveImage(ctx, &storagev1.RemoveImageRequest{Ref: ref, Force: force})
	if err != nil {
		return RemovedImage{}, fromStatus(err)
	}
	return RemovedImage{Untagged: r.GetUntagged(), Deleted: r.GetDeleted()}, nil
}

func (s *storageClient) Prune(ctx context.Context, all bool) (PruneReport, error) {
	r, err := s.c.Prune(ctx, &storagev1.PruneRequest{All: all})
	if err != nil {
		return PruneReport{}, fromStatus(err)
	}
	return PruneReport{Deleted: r.GetDeleted(), Reclaimed: r.GetReclaimed()}, nil
}

func (s *storageClient) Usage(ctx context.Context) (StorageUsage, error) {
	r, err := s.c.Usage(ctx, &storagev1.UsageRequest{})
	if err != nil {
		return StorageUsage{}, fromStatus(err)
	}
	return usageFromProto(r), nil
}
