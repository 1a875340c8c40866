package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.podman.io/image/v5/docker/reference"
	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// Tag adds name to image, moving it from the image that had it; see
// api.ImageManager.
func (s *Store) Tag(ctx context.Context, image, name string) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	img, err := resolveImage(st, image)
	if err != nil {
		return err
	}
	named, err := parseRegistryRef(name)
	if err != nil {
		return err
	}
	if _, digested := named.(reference.Digested); digested {
		return api.Errorf(api.ErrInvalidArgument, "use NAME[:TAG]", "cannot tag with a digest: %s", name)
	}
	if err := st.AddNames(img.ID, []string{named.String()}); err != nil {
		return fmt.Errorf("failed to tag image %s as %s: %w", image, named, err)
	}
	return nil
}

// RemoveImage untags or deletes ref like `docker rmi`; see
// api.ImageManager.
func (s *Store) RemoveImage(ctx context.Context, ref string, force bool) (api.RemovedImage, error) {
	st, err := s.open()
	if err != nil {
		return api.RemovedImage{}, err
	}
	s.settleRemovals() // a removed --rm container does not use the image
	img, err := resolveImage(st, ref)
	if err != nil {
		return api.RemovedImage{}, err
	}
	name := nameIn(img, ref)
	if name != "" && len(img.Names) > 1 {
		return untag(st, img, []string{name})
	}
	if name == "" && len(img.Names) > 1 && !force {
		return api.RemovedImage{}, api.Errorf(api.ErrFailedPrecondition, "remove it by name, or use -f",
			"image %s has several names (%s)", shortID(img.ID), strings.Join(img.Names, ", "))
	}
	users, err := containersOf(st, img.ID)
	if err != nil {
		return api.RemovedImage{}, err
	}
	if len(users) > 0 && !force {
		return api.RemovedImage{}, api.Errorf(api.ErrFailedPrecondition, "remove the containers first, or use -f",
			"image %s is used by container %s", ref, strings.Join(users, ", "))
	}
	if len(users) > 0 {
		// The containers keep the image's layers; it goes unnamed and is
		// pruned once they are gone.
		return untag(st, img, img.Names)
	}
	if _, err := st.DeleteImage(img.ID, true); err != nil {
		return api.RemovedImage{}, fmt.Errorf("failed to delete image %s: %w", ref, err)
	}
	removeOrphanCopies(st, s.opts.GraphRoot)
	return api.RemovedImage{Untagged: img.Names, Deleted: []string{img.ID}}, nil
}

func untag(st cstore.Store, img *cstore.Image, names []string) (api.RemovedImage, error) {
	if len(names) == 0 {
		return api.RemovedImage{}, nil
	}
	if err := st.RemoveNames(img.ID, names); err != nil {
		return api.RemovedImage{}, fmt.Errorf("failed to untag image %s: %w", shortID(img.ID), err)
	}
	return api.RemovedImage{Untagged: names}, nil
}

// nameIn returns the name of img that ref spells, or "" when ref is an ID.
func nameIn(img *cstore.Image, ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	full := reference.TagNameOnly(n).String()
	if slices.Contains(img.Names, full) {
		return full
	}
	return ""
}

// containersOf returns the names of the containers made from image id.
func containersOf(st cstore.Store, id string) ([]string, error) {
	cs, err := st.Containers()
	if err != nil {
		return nil, fmt.Errorf("failed to list containers: %w", err)
	}
	var out []string
	for _, c := range cs {
		if c.ImageID == id {
			name := c.ID
			if len(c.Names) > 0 {
				name = c.Names[0]
			}
			out = append(out, name)
		}
	}
	return out, nil
}

// Prune deletes the images no container uses (unnamed ones unless all);
// see api.ImageManager.
func (s *Store) Prune(ctx context.Context, all bool) (api.PruneReport, error) {
	st, err := s.open()
	if err != nil {
		return api.PruneReport{}, err
	}
	before, err := s.Usage(ctx)
	if err != nil {
		return api.PruneReport{}, err
	}
	used, err := usedImages(st)
	if err != nil {
		return api.PruneReport{}, err
	}
	imgs, err := st.Images()
	if err != nil {
		return api.PruneReport{}, fmt.Errorf("failed to list images: %w", err)
	}
	var rep api.PruneReport
	for _, img := range imgs {
		if used[img.ID] || (!all && len(img.Names) > 0) {
			continue
		}
		if _, err := st.DeleteImage(img.ID, true); err != nil && !isUnknown(err) {
			return rep, fmt.Errorf("failed to delete image %s: %w", shortID(img.ID), err)
		}
		rep.Deleted = append(rep.Deleted, img.ID)
	}
	if err := pruneBuildLayers(st); err != nil {
		return rep, err
	}
	removeOrphanCopies(st, s.opts.GraphRoot)
	if after, err := s.Usage(ctx); err == nil {
		rep.Reclaimed = max(0, before.LayersSize-after.LayersSize)
	}
	return rep, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// usedImages is the set of image IDs some container was made from.
func usedImages(st cstore.Store) (map[string]bool, error) {
	cs, err := st.Containers()
	if err != nil {
		return nil, fmt.Errorf("failed to list containers: %w", err)
	}
	used := make(map[string]bool, len(cs))
	for _, c := range cs {
		used[c.ImageID] = true
	}
	return used, nil
}
