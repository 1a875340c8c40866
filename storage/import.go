package storage

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/tarball"
	"go.podman.io/image/v5/types"

	"github.com/rrun-project/rrun/plugins/api"
)

// importHint is what a user is told when a rootfs tarball cannot be read.
const importHint = "give a complete tar archive of a root filesystem (plain, gzip, zstd or xz)"

// Import makes an image of the root filesystem tarball at p; see
// api.ImageManager.
func (s *Store) Import(ctx context.Context, p, ref string) (api.Image, error) {
	var named reference.Named
	if ref != "" {
		n, err := parseRegistryRef(ref)
		if err != nil {
			return api.Image{}, err
		}
		named = n
	}
	if err := checkTarball(p); os.IsNotExist(err) {
		return api.Image{}, api.Errorf(api.ErrNotFound, "", "failed to import %s: no such file", p)
	} else if err != nil {
		return api.Image{}, api.Errorf(api.ErrInvalidArgument, importHint, "failed to import %s: %s", p, oneLine(err))
	}
	st, err := s.open()
	if err != nil {
		return api.Image{}, err
	}
	sys, err := s.systemContext()
	if err != nil {
		return api.Image{}, err
	}
	src, err := importSource(p)
	if err != nil {
		return api.Image{}, err
	}
	var dest types.ImageReference
	if named != nil {
		dest, err = istorage.Transport.NewStoreReference(st, named, "")
	} else {
		var id string
		if id, err = configID(ctx, sys, src); err == nil {
			dest, err = istorage.Transport.NewStoreReference(st, nil, id)
		}
	}
	if err == nil {
		err = s.copyImage(ctx, dest, src, sys, "", nil, nil)
	}
	if err != nil {
		return api.Image{}, storeError("import", p, err)
	}
	img, err := istorage.Transport.GetStoreImage(st, dest)
	if err != nil {
		return api.Image{}, fmt.Errorf("failed to find imported image %s: %w", p, err)
	}
	return toAPIImage(st, img), nil
}

// importSource is the tarball transport's image of p, with a config for
// this machine's platform, as `docker import` makes.
func importSource(p string) (types.ImageReference, error) {
	ref, err := tarball.Transport.ParseReference(p)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, importHint, "failed to import %s: %s", p, oneLine(err))
	}
	now := time.Now().UTC()
	cfg := imgspecv1.Image{
		Created:  &now,
		Platform: imgspecv1.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config: imgspecv1.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		},
	}
	if u, ok := ref.(tarball.ConfigUpdater); ok {
		if err := u.ConfigUpdate(cfg, nil); err != nil {
			return nil, err
		}
	}
	return ref, nil
}

// checkTarball reads every header of the (possibly compressed) tar at p,
// so that a truncated or non-tar file, or one with an entry too deep to
// unpack cheaply (checkEntryName), is refused before the store changes.
func checkTarball(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	r, _, err := tarStream(f)
	if err != nil {
		return err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) && n > 0 {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return errors.New("not a tar archive, or an empty one")
		}
		if err != nil {
			return fmt.Errorf("broken tar archive: %w", err)
		}
		if err := checkEntryName(hdr.Name); err != nil {
			return err
		}
	}
}
