package api

import "context"

// Storage keeps images and assembles container root filesystems.
//
// Implementations must be safe for concurrent use by one host, and must keep
// their on-disk state consistent when killed at any point: the next process
// using the same StateDir must work without manual repair.
type Storage interface {
	Plugin

	// Load imports every image of the archive at path. format is
	// "docker-archive", "oci-archive" or "" to detect it. progress, when not
	// nil, receives human readable lines. On error no image is added or
	// changed (ErrInvalidArgument for a malformed archive).
	Load(ctx context.Context, path, format string, progress func(string)) ([]Image, error)

	// ListImages returns every image, in no particular order.
	ListImages(ctx context.Context) ([]Image, error)

	// InspectImage resolves ref (a name, normalized like docker's, a full ID,
	// or a unique ID prefix) to an image. ErrNotFound when nothing matches.
	InspectImage(ctx context.Context, ref string) (ImageDetail, error)

	// PrepareRootfs creates (or re-uses, when containerID already has one)
	// a writable root filesystem from image for the container and returns
	// the mounts that assemble it. Calling it twice for one container returns
	// equivalent mounts. ErrNotFound when the image does not exist.
	PrepareRootfs(ctx context.Context, containerID, image string) ([]Mount, error)

	// ReleaseRootfs undoes what PrepareRootfs mounted, keeping the container's
	// files. It is idempotent: releasing an unknown or released container is
	// not an error.
	ReleaseRootfs(ctx context.Context, containerID string) error

	// RemoveRootfs releases and deletes the container's files. It is
	// idempotent: removing an unknown container is not an error.
	RemoveRootfs(ctx context.Context, containerID string) error
}

// ImageManager holds the image calls a full storage backend serves. A
// Storage implements it optionally (so that plugins written before it was
// added still build); the Storage a host gets from NewStorageClient always
// does. Each call is announced by a capability (storage_caps.go); a backend
// that does not serve one returns ErrNotImplemented. Failures leave the image list as it was, unless a
// method says otherwise.
type ImageManager interface {
	// Pull copies ref (a registry reference, normalized like docker's:
	// busybox is docker.io/library/busybox:latest; a digest pins it) into
	// the store and names the image ref. Layers download concurrently;
	// progress, when not nil, is called from several goroutines, one call
	// at a time. Pulling an image that is present re-checks the manifest
	// and reuses its layers. Errors: ErrInvalidArgument (bad reference,
	// bad platform, a blob whose digest does not match), ErrNotFound (no
	// such image in the registry), ErrPermissionDenied (credentials),
	// ErrUnavailable (registry unreachable). A pull killed half way leaves
	// no image and a store the next call uses.
	Pull(ctx context.Context, ref string, opts TransferOptions, progress func(LayerProgress)) (Image, error)

	// Push copies image (a name, ID or unique ID prefix) to destination,
	// a registry reference ("" means the image's own name), and returns
	// the manifest digest. Errors as Pull; ErrNotFound for an unknown image.
	Push(ctx context.Context, image, destination string, opts TransferOptions, progress func(LayerProgress)) (string, error)

	// Save writes the images refs name to a new archive at path, replacing
	// it atomically. format is "docker-archive" ("" too; several images
	// allowed) or "oci-archive" (one image). A saved and loaded image keeps
	// its ID. ErrNotFound for an unknown image, ErrInvalidArgument for a
	// bad format.
	Save(ctx context.Context, path, format string, refs []string) error

	// Import makes an image of one layer from the root filesystem tarball
	// at path (plain or compressed) and names it ref when ref is not "".
	// ErrInvalidArgument when path is not a complete tar archive.
	Import(ctx context.Context, path, ref string) (Image, error)

	// Tag adds name (normalized like docker's) to image, taking it away
	// from the image that had it. Idempotent. ErrNotFound for an unknown
	// image, ErrInvalidArgument for a bad name.
	Tag(ctx context.Context, image, name string) error

	// RemoveImage removes ref like `docker rmi`: a name is untagged, and
	// the image deleted with its last name; an ID deletes the image. It
	// refuses (ErrFailedPrecondition) an image a container uses, or an ID
	// of an image with several names, unless force: then every name is
	// taken off and the image is deleted as soon as no container uses it
	// (Prune does it later). ErrNotFound for an unknown image.
	RemoveImage(ctx context.Context, ref string, force bool) (RemovedImage, error)

	// Prune deletes the images no container uses: the unnamed ones, or
	// every one when all. Idempotent.
	Prune(ctx context.Context, all bool) (PruneReport, error)

	// Usage reports the store's disk use. It reads only.
	Usage(ctx context.Context) (StorageUsage, error)
}
