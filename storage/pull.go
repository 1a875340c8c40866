package storage

import (
	"context"
	"fmt"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"

	"github.com/rrun-project/rrun/plugins/api"
)

// Pull copies ref from its registry into the store; see api.ImageManager.
func (s *Store) Pull(ctx context.Context, ref string, o api.TransferOptions, progress func(api.LayerProgress)) (api.Image, error) {
	named, err := parseRegistryRef(ref)
	if err != nil {
		return api.Image{}, err
	}
	st, err := s.open()
	if err != nil {
		return api.Image{}, err
	}
	src, err := docker.NewReference(named)
	if err != nil {
		return api.Image{}, api.Errorf(api.ErrInvalidArgument, "", "invalid image reference %s: %s", ref, oneLine(err))
	}
	dest, err := istorage.Transport.NewStoreReference(st, named, "")
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to name %s in the store: %w", ref, err)
	}
	sys, err := s.transferContext(o)
	if err != nil {
		return api.Image{}, err
	}
	err = s.copyImage(ctx, dest, checkedReference{src}, sys, api.LayerDownloading, progress, nil)
	if err != nil {
		return api.Image{}, registryError("pull", named.String(), err)
	}
	img, err := istorage.Transport.GetStoreImage(st, dest)
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to find pulled image %s: %w", ref, err)
	}
	return toAPIImage(st, img), nil
}

// Push copies image to destination (its own name when ""); see
// api.ImageManager.
func (s *Store) Push(ctx context.Context, image, destination string, o api.TransferOptions, progress func(api.LayerProgress)) (string, error) {
	st, err := s.open()
	if err != nil {
		return "", err
	}
	img, err := resolveImage(st, image)
	if err != nil {
		return "", err
	}
	if destination == "" {
		destination = image
	}
	named, err := parseRegistryRef(destination)
	if err != nil {
		return "", err
	}
	src, err := istorage.Transport.NewStoreReference(st, nil, img.ID)
	if err != nil {
		return "", fmt.Errorf("failed to reference image %s: %w", image, err)
	}
	dest, err := docker.NewReference(named)
	if err != nil {
		return "", api.Errorf(api.ErrInvalidArgument, "", "invalid destination %s: %s", destination, oneLine(err))
	}
	sys, err := s.transferContext(o)
	if err != nil {
		return "", err
	}
	var manifestBlob []byte
	if err := s.copyImage(ctx, dest, src, sys, api.LayerUploading, progress, &manifestBlob); err != nil {
		return "", registryError("push", named.String(), err)
	}
	d, err := manifest.Digest(manifestBlob)
	if err != nil {
		return "", fmt.Errorf("failed to digest the pushed manifest: %w", err)
	}
	return d.String(), nil
}

// parseRegistryRef normalizes ref like docker (busybox is
// docker.io/library/busybox:latest); a "docker://" prefix is allowed.
func parseRegistryRef(ref string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(trimTransport(ref))
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "use NAME[:TAG] or NAME@sha256:DIGEST",
			"invalid image reference %q: %s", ref, oneLine(err))
	}
	return reference.TagNameOnly(named), nil
}

func trimTransport(ref string) string {
	if len(ref) > len("docker://") && ref[:len("docker://")] == "docker://" {
		return ref[len("docker://"):]
	}
	return ref
}

// copyImage runs c/image's copy with progress relayed; manifestOut, when
// not nil, receives the manifest written.
func (s *Store) copyImage(ctx context.Context, dest, src types.ImageReference, sys *types.SystemContext, status string,
	progress func(api.LayerProgress), manifestOut *[]byte) error {
	policy, err := acceptAnything()
	if err != nil {
		return err
	}
	defer func() { _ = policy.Destroy() }()
	opts := &copy.Options{SourceCtx: sys, DestinationCtx: sys, MaxParallelDownloads: 6}
	stop := relayProgress(opts, status, progress)
	out, err := copy.Image(ctx, policy, dest, src, opts)
	stop()
	if err == nil && manifestOut != nil {
		*manifestOut = out
	}
	return err
}
