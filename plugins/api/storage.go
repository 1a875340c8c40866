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
