package api

import "context"

// Root filesystems of --rm containers: thrown away when the container
// ends, so a backend may skip making them durable and may finish removing
// them after it answered. Both are optional: the client adapter always
// offers them, and the server adapter falls back to PrepareRootfs and
// RemoveRootfs for a backend that implements neither, so a caller never
// needs to check.

// VolatileRootfs is a Storage that can prepare a root filesystem that is
// removed when its container ends (--rm).
type VolatileRootfs interface {
	// PrepareVolatileRootfs is PrepareRootfs for a container whose root
	// filesystem is removed when it ends: the backend may skip fsync and
	// mount it so that unmounting does not sync it (overlay's volatile
	// option), as podman does for --rm. After a crash of the machine its
	// content may be lost, which nobody would read.
	PrepareVolatileRootfs(ctx context.Context, containerID, image string) ([]Mount, error)
}

// BackgroundRemover is a Storage that can finish removing a root
// filesystem after it answered.
type BackgroundRemover interface {
	// RemoveRootfsInBackground removes the container's root filesystem as
	// RemoveRootfs does, but may return as soon as the removal is recorded
	// where the backend finds it again: it finishes it after answering, and
	// a removal its death interrupted is finished the next time a backend
	// opens the store. Calls that would still find the root filesystem
	// (removing or pruning its image, usage) wait for pending removals
	// first. The container id must not be prepared again. Safe for
	// concurrent use; an unknown container is not an error.
	RemoveRootfsInBackground(ctx context.Context, containerID string) error
}
