package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociarchive "go.podman.io/image/v5/oci/archive"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// Save writes the images refs name into a new archive at p; see
// api.ImageManager. The archive is written next to p and renamed over it.
func (s *Store) Save(ctx context.Context, p, format string, refs []string) error {
	if len(refs) == 0 {
		return api.Errorf(api.ErrInvalidArgument, "rrun save -o FILE IMAGE...", "no image to save")
	}
	if format == "" {
		format = FormatDockerArchive
	}
	if format != FormatDockerArchive && format != FormatOCIArchive {
		return api.Errorf(api.ErrInvalidArgument, "use docker-archive or oci-archive", "unknown archive format %q", format)
	}
	if format == FormatOCIArchive && len(refs) > 1 {
		return api.Errorf(api.ErrInvalidArgument, "save them one by one, or use --format docker-archive",
			"an oci-archive holds one image, not %d", len(refs))
	}
	st, err := s.open()
	if err != nil {
		return err
	}
	sources, err := saveSources(st, refs)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".rrun-*")
	if err != nil {
		return api.Errorf(api.ErrPermissionDenied, "check the directory", "failed to create %s: %s", p, oneLine(err))
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if format == FormatOCIArchive {
		err = s.saveOCI(ctx, tmp.Name(), sources[0])
	} else {
		err = s.saveDocker(ctx, tmp.Name(), sources)
	}
	if err != nil {
		return storeError("save", p, err)
	}
	// an archive is for sharing: 0644 as podman and docker leave it (CreateTemp made it 0600)
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("failed to save %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("failed to save %s: %w", p, err)
	}
	return nil
}

// saveSource is one image to save and the name it is saved under.
type saveSource struct {
	ref  types.ImageReference
	name reference.NamedTagged // nil: unnamed
}

// saveSources resolves refs, once per image: c/image's docker-archive
// writer cannot write one image twice, so an image named twice is saved
// under the first name given.
func saveSources(st cstore.Store, refs []string) ([]saveSource, error) {
	var out []saveSource
	seen := map[string]bool{}
	for _, r := range refs {
		img, err := resolveImage(st, r)
		if err != nil {
			return nil, err
		}
		if seen[img.ID] {
			continue
		}
		seen[img.ID] = true
		src, err := istorage.Transport.NewStoreReference(st, nil, img.ID)
		if err != nil {
			return nil, fmt.Errorf("failed to reference image %s: %w", r, err)
		}
		out = append(out, saveSource{ref: src, name: saveName(img, r)})
	}
	return out, nil
}

// saveName is the name ref gave, when it named the image, else the
// image's first tagged name, else nil.
func saveName(img *cstore.Image, ref string) reference.NamedTagged {
	if n, err := reference.ParseNormalizedNamed(ref); err == nil {
		if t, ok := reference.TagNameOnly(n).(reference.NamedTagged); ok && slices.Contains(img.Names, t.String()) {
			return t
		}
	}
	for _, name := range img.Names {
		if n, err := reference.ParseNormalizedNamed(name); err == nil {
			if t, ok := n.(reference.NamedTagged); ok {
				return t
			}
		}
	}
	return nil
}

func (s *Store) saveDocker(ctx context.Context, p string, sources []saveSource) error {
	sys, err := s.systemContext()
	if err != nil {
		return err
	}
	w, err := archive.NewWriter(sys, p)
	if err != nil {
		return err
	}
	for _, src := range sources {
		dest, err := w.NewReference(src.name)
		if err == nil {
			err = s.copyImage(ctx, dest, src.ref, sys, "", nil, nil)
		}
		if err != nil {
			_ = w.Close()
			return err
		}
	}
	return w.Close()
}

func (s *Store) saveOCI(ctx context.Context, p string, src saveSource) error {
	sys, err := s.systemContext()
	if err != nil {
		return err
	}
	name := ""
	if src.name != nil {
		name = src.name.String()
	}
	dest, err := ociarchive.NewReference(p, name)
	if err != nil {
		return err
	}
	return s.copyImage(ctx, dest, src.ref, sys, "", nil, nil)
}
