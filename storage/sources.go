package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	ociarchive "go.podman.io/image/v5/oci/archive"
	"go.podman.io/image/v5/types"
)

// archiveSources lists the images of an archive with their names. The
// returned func releases what the sources hold open.
func archiveSources(p, format string, info archiveInfo) ([]source, func(), error) {
	switch format {
	case FormatDockerArchive:
		return dockerSources(p)
	case FormatOCIArchive:
		if info.index == nil {
			return nil, nil, errors.New("not an oci-archive: no index.json")
		}
		srcs, err := ociSources(p, info.index)
		return srcs, func() {}, err
	default:
		return nil, nil, fmt.Errorf("unknown archive format %q (use docker-archive or oci-archive)", format)
	}
}

// dockerSources lists every image of a docker-archive; RepoTags are
// normalized like docker's (busybox:latest is docker.io/library/busybox:latest).
func dockerSources(p string) ([]source, func(), error) {
	r, err := archive.NewReader(nil, p)
	if err != nil {
		return nil, nil, err
	}
	groups, err := r.List()
	if err != nil {
		_ = r.Close()
		return nil, nil, err
	}
	var srcs []source
	for _, refs := range groups {
		src := source{ref: refs[0]}
		for _, ref := range refs {
			if n := ref.DockerReference(); n != nil {
				src.names = append(src.names, n)
			}
		}
		srcs = append(srcs, src)
	}
	return srcs, func() { _ = r.Close() }, nil
}

// ociSources lists every manifest of an oci-archive's index. An image is
// named after its org.opencontainers.image.ref.name annotation when that
// is a full reference (a bare tag such as "latest" names nothing). The
// oci-archive transport picks an image of several by that annotation, so
// an archive of several images needs one on each.
func ociSources(p string, idx *imgspecv1.Index) ([]source, error) {
	if len(idx.Manifests) == 0 {
		return nil, errors.New("index.json lists no image")
	}
	var srcs []source
	for _, desc := range idx.Manifests {
		annotation := desc.Annotations[imgspecv1.AnnotationRefName]
		pick := ""
		if len(idx.Manifests) > 1 {
			if annotation == "" {
				return nil, errors.New("an image of several has no org.opencontainers.image.ref.name annotation")
			}
			pick = annotation
		}
		ref, err := ociarchive.NewReference(p, pick)
		if err != nil {
			return nil, err
		}
		src := source{ref: ref}
		if n := ociRefName(annotation); n != nil {
			src.names = append(src.names, n)
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}

func ociRefName(annotation string) reference.Named {
	if !strings.ContainsAny(annotation, "/:") {
		return nil // empty, or a bare tag such as "latest"
	}
	n, err := reference.ParseNormalizedNamed(annotation)
	if err != nil {
		return nil
	}
	return reference.TagNameOnly(n)
}

// configID returns the config digest of ref's image, which c/image uses as
// the image ID: an unnamed image is stored under it.
func configID(ctx context.Context, sys *types.SystemContext, ref types.ImageReference) (string, error) {
	src, err := ref.NewImageSource(ctx, sys)
	if err != nil {
		return "", err
	}
	defer src.Close()
	blob, mime, err := image.UnparsedInstance(src, nil).Manifest(ctx)
	if err != nil {
		return "", err
	}
	m, err := manifest.FromBlob(blob, mime)
	if err != nil {
		return "", err
	}
	return m.ConfigInfo().Digest.Encoded(), nil
}
