package storage

import (
	"context"
	"fmt"
	"os"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// loadHint is what a user is told when an archive cannot be read.
const loadHint = "check the file; re-create it with `docker save` or `podman save`"

// source is one image of an archive and the names it should get.
type source struct {
	ref   types.ImageReference
	names []reference.Named
}

// Load imports every image of the archive at p. format is
// FormatDockerArchive, FormatOCIArchive or "" to detect it. progress, when
// not nil, gets one line per step. A malformed archive is rejected with
// api.ErrInvalidArgument before the store changes; if a later image of a
// multi-image archive fails, the images this call created are removed.
func (s *Store) Load(ctx context.Context, p, format string, progress func(string)) ([]api.Image, error) {
	info, err := scanArchive(p)
	if os.IsNotExist(err) {
		return nil, api.Errorf(api.ErrNotFound, "", "failed to load %s: no such file", p)
	}
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, loadHint, "failed to load %s: %s", p, oneLine(err))
	}
	if format == "" {
		format = info.format
	}
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	sources, closeSources, err := archiveSources(p, format, info)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, loadHint, "failed to load %s: %s", p, oneLine(err))
	}
	defer closeSources()
	before, err := imageIDs(st)
	if err != nil {
		return nil, err
	}
	loaded, err := s.copyAll(ctx, st, sources, progress)
	if err != nil {
		rollback(st, loaded, before)
		return nil, loadError(p, err)
	}
	return loaded, nil
}

// copyAll copies each source into the store and returns the images, the
// ones copied so far when it fails.
func (s *Store) copyAll(ctx context.Context, st cstore.Store, sources []source, progress func(string)) ([]api.Image, error) {
	policy, err := signature.NewPolicyContext(&signature.Policy{
		Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()},
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = policy.Destroy() }()
	sys, err := s.systemContext()
	if err != nil {
		return nil, err
	}
	report := newLineWriter(progress)
	defer report.Flush()
	var images []api.Image
	for _, src := range sources {
		img, err := copyOne(ctx, st, policy, sys, src, report)
		if err != nil {
			return images, err
		}
		images = append(images, img)
	}
	return images, nil
}

// copyOne copies one image and gives it all its names.
func copyOne(ctx context.Context, st cstore.Store, policy *signature.PolicyContext,
	sys *types.SystemContext, src source, report *lineWriter) (api.Image, error) {
	var dest types.ImageReference
	var err error
	if len(src.names) > 0 {
		dest, err = istorage.Transport.NewStoreReference(st, src.names[0], "")
	} else {
		var id string
		if id, err = configID(ctx, sys, src.ref); err == nil {
			dest, err = istorage.Transport.NewStoreReference(st, nil, id)
		}
	}
	if err != nil {
		return api.Image{}, err
	}
	_, err = copy.Image(ctx, policy, dest, src.ref, &copy.Options{
		ReportWriter:   report,
		SourceCtx:      sys,
		DestinationCtx: sys,
	})
	if err != nil {
		return api.Image{}, err
	}
	img, err := istorage.Transport.GetStoreImage(st, dest)
	if err != nil {
		return api.Image{}, err
	}
	if len(src.names) > 1 {
		var more []string
		for _, n := range src.names[1:] {
			more = append(more, n.String())
		}
		if err := st.AddNames(img.ID, more); err != nil {
			return api.Image{}, err
		}
		if img, err = st.Image(img.ID); err != nil {
			return api.Image{}, err
		}
	}
	return toAPIImage(st, img), nil
}

// systemContext keeps c/image's big temporary files next to the store
// rather than in /var/tmp, which may be small or shared.
// Each store process gets its own dir there (see tmp.go).
func (s *Store) systemContext() (*types.SystemContext, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp, err := s.privateTmp()
	if err != nil {
		return nil, err
	}
	return &types.SystemContext{BigFilesTemporaryDir: tmp}, nil
}

// imageIDs returns the set of image IDs in the store.
func imageIDs(st cstore.Store) (map[string]bool, error) {
	imgs, err := st.Images()
	if err != nil {
		return nil, fmt.Errorf("failed to list images: %w", err)
	}
	ids := make(map[string]bool, len(imgs))
	for _, img := range imgs {
		ids[img.ID] = true
	}
	return ids, nil
}

// rollback deletes the images of loaded that were not in the store
// before. Names moved from an older image to a new one are not given back.
func rollback(st cstore.Store, loaded []api.Image, before map[string]bool) {
	for _, img := range loaded {
		if !before[img.ID] {
			_, _ = st.DeleteImage(img.ID, true)
		}
	}
}
