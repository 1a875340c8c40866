package api

import (
	"context"
	"time"
)

// CapStorageCommit announces the Committer calls, which `rrun build` and
// `rrun commit` need. rrun checks it before building and names it when a
// storage plugin lacks it.
const CapStorageCommit = "storage.commit"

// Layer is one read-only layer of a store.
type Layer struct {
	ID         string
	Parent     string // "" for a bottom layer
	DiffDigest string // "sha256:..." of the uncompressed tar: the OCI diff id
	Size       int64  // bytes of the uncompressed tar
	Created    time.Time
	// Empty is set by CommitRootfs when the container changed nothing: no
	// layer was made and ID is the parent ("" on an empty root filesystem).
	Empty bool
}

// NewImage is what CreateImage makes an image of.
type NewImage struct {
	TopLayer string // "" for an image of no layer
	// ConfigJSON is the OCI image config (image-spec v1 Image), stored
	// byte for byte: the image ID is its sha256. Its rootfs.diff_ids must
	// be the DiffDigests of TopLayer's chain, bottom first; its history
	// is kept as given.
	ConfigJSON []byte
	Names      []string // normalized like docker's; taken from other images
}

// Committer holds the calls that make images out of containers: a build
// step is a root filesystem on a layer, changed by a container or by the
// host, then committed as the next layer. A Storage implements it
// optionally (announced by CapStorageCommit); the Storage a host gets from
// NewStorageClient always does, and a plugin without it answers
// ErrNotImplemented. Implementations must be safe for concurrent use, and
// a process killed at any point must leave no half-made layer or image
// visible to these calls.
type Committer interface {
	// PrepareLayerRootfs creates (or re-uses, when containerID already has
	// one) a writable root filesystem on top of parentLayer ("" for an
	// empty one) and returns the mounts that assemble it, like
	// PrepareRootfs. ReleaseRootfs and RemoveRootfs undo it. ErrNotFound
	// for an unknown parent layer.
	PrepareLayerRootfs(ctx context.Context, containerID, parentLayer string) ([]Mount, error)

	// CommitRootfs records the changes made to containerID's root
	// filesystem (one from PrepareRootfs or PrepareLayerRootfs) as a new
	// read-only layer on the layer it was made from, with deletions as
	// whiteouts and owners, modes, setuid bits, hardlinks, xattrs and
	// timestamps kept. The root filesystem stays as it is (the caller
	// removes it). With no change, no layer is made and the result has
	// Empty set. cacheKey, when not "", names the result for InspectLayer;
	// a later commit with the same key takes the name over. ErrNotFound
	// for an unknown container.
	CommitRootfs(ctx context.Context, containerID, cacheKey string) (Layer, error)

	// InspectLayer reports the layer with the given id, or, when id is ""
	// the one last committed with cacheKey. ErrNotFound when there is none
	// (a pruned cache entry is gone).
	InspectLayer(ctx context.Context, id, cacheKey string) (Layer, error)

	// CreateImage makes an image of img, or finds the identical one, and
	// gives it img.Names. The image is listed, run, saved and pushed like
	// a pulled one. ErrInvalidArgument for a config that is not JSON or
	// whose diff_ids do not match the chain; ErrNotFound for an unknown
	// top layer.
	CreateImage(ctx context.Context, img NewImage) (Image, error)
}

// CapStorageBuildCache announces PruneBuildCache (`rrun builder prune`).
const CapStorageBuildCache = "storage.build-cache"

// CachePruner is the call that reclaims the build cache alone. A Storage
// implements it optionally (announced by CapStorageBuildCache); the
// Storage a host gets from NewStorageClient always does, and a plugin
// without it answers ErrNotImplemented.
type CachePruner interface {
	// PruneBuildCache deletes the layers committed with a cache key (and
	// the build root filesystems of killed builds) that no image, container
	// or running build step uses, and nothing else: unnamed images and
	// their layers stay. Safe for concurrent use with builds.
	PruneBuildCache(ctx context.Context) (PruneReport, error)
}
