package api

import "context"

// CapStorageRootfsInspect announces the RootfsInspector calls (rrun ps
// -s, rrun diff, the space container prune reclaims).
const CapStorageRootfsInspect = "storage.rootfs-inspect"

// RootfsSize is the disk use of one container's root filesystem.
type RootfsSize struct {
	RW     int64 // docker's SizeRw: the container's writable layer
	RootFs int64 // docker's SizeRootFs: its image's layers plus RW
}

// Kinds of RootfsChange, as docker diff prints them.
const (
	ChangeAdded   = "A"
	ChangeChanged = "C"
	ChangeDeleted = "D"
)

// RootfsChange is one path a container added, changed or deleted.
type RootfsChange struct {
	Path string // absolute, in the container
	Kind string // ChangeAdded, ChangeChanged or ChangeDeleted
}

// RootfsInspector reports on containers' root filesystems (those
// PrepareRootfs made), running or not. A Storage implements it optionally
// (announced by CapStorageRootfsInspect); the Storage a host gets from
// NewStorageClient always does, and a plugin without it answers
// ErrNotImplemented. Both calls only read and are safe for concurrent use.
type RootfsInspector interface {
	// RootfsSize reports the sizes of containerID's root filesystem.
	// ErrNotFound for an unknown container.
	RootfsSize(ctx context.Context, containerID string) (RootfsSize, error)

	// RootfsChanges lists what containerID changed relative to its image,
	// sorted by path; a changed directory is listed as docker does (its
	// own line, then what changed in it). ErrNotFound for an unknown
	// container.
	RootfsChanges(ctx context.Context, containerID string) ([]RootfsChange, error)
}
