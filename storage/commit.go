package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	cstore "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"

	"github.com/rrun-project/rrun/plugins/api"
)

// Layer names that tie build state to c/storage layers. A build step's
// root filesystem is a writable layer named buildRootfsPrefix+container
// (not a c/storage container, which can only start from an image); a
// committed step's layer carries cachePrefix+key until a later commit with
// the same key takes the name.
const (
	buildRootfsPrefix = "rrun-build-rootfs:"
	cachePrefix       = "rrun-build-cache:"
)

// PrepareLayerRootfs makes (or re-uses) containerID's writable layer on
// parent and mounts it; see api.Committer.
func (s *Store) PrepareLayerRootfs(ctx context.Context, containerID, parent string) ([]api.Mount, error) {
	if containerID == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "a container needs an id")
	}
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	l, err := buildLayerFor(st, containerID, parent)
	if err != nil {
		return nil, err
	}
	dir, err := st.Mount(l.ID, "")
	if err != nil {
		return nil, fmt.Errorf("failed to mount the build rootfs of %s: %w", containerID, err)
	}
	return []api.Mount{{Type: "bind", Source: dir, Target: "/", Options: []string{"rbind", "rw"}}}, nil
}

// buildLayerFor returns containerID's writable build layer, creating it on
// parent when there is none.
func buildLayerFor(st cstore.Store, containerID, parent string) (*cstore.Layer, error) {
	name := buildRootfsPrefix + containerID
	l, err := st.Layer(name)
	if err == nil {
		if l.Parent != parent {
			return nil, api.Errorf(api.ErrAlreadyExists, "remove it first",
				"container %s already has a build rootfs on layer %s", containerID, l.Parent)
		}
		return l, nil
	}
	if parent != "" {
		if _, err := st.Layer(parent); err != nil {
			return nil, api.Errorf(api.ErrNotFound, "", "layer %s not found", parent)
		}
	}
	l, err = st.CreateLayer("", parent, []string{name}, "", true, nil)
	if err == nil {
		err = st.SetMetadata(l.ID, ownerTag())
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create the build rootfs of %s: %w", containerID, err)
	}
	return l, nil
}

// CommitRootfs turns the changes of containerID's root filesystem into a
// new layer on its parent; see api.Committer.
func (s *Store) CommitRootfs(ctx context.Context, containerID, cacheKey string) (api.Layer, error) {
	st, err := s.open()
	if err != nil {
		return api.Layer{}, err
	}
	rw, err := rootfsLayer(st, containerID)
	if err != nil {
		return api.Layer{}, err
	}
	changes, err := st.Changes(rw.Parent, rw.ID)
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to list the changes of %s: %w", containerID, err)
	}
	if len(changes) == 0 {
		return emptyCommit(st, rw.Parent, cacheKey)
	}
	l, err := putDiff(st, rw, s.opts.GraphRoot, s.upperDir(rw))
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to commit %s: %w", containerID, err)
	}
	if err := nameCache(st, l.ID, cacheKey); err != nil {
		return api.Layer{}, err
	}
	return toAPILayer(l), nil
}

// rootfsLayer is the writable layer of containerID: a c/storage
// container's (from PrepareRootfs) or a build rootfs.
func rootfsLayer(st cstore.Store, containerID string) (*cstore.Layer, error) {
	id := buildRootfsPrefix + containerID
	if c, err := st.Container(containerID); err == nil {
		id = c.LayerID
	} else if l := extraRootfsLayer(st, containerID); l != nil {
		id = l.ID
	}
	l, err := st.Layer(id)
	if isUnknown(err) {
		return nil, api.Errorf(api.ErrNotFound, "", "container %s has no root filesystem", containerID)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to find the rootfs of %s: %w", containerID, err)
	}
	return l, nil
}

// putDiff copies rw's changes into a new read-only layer on rw's parent;
// PutLayer computes the diff digest while it applies them. The diff goes
// through a temporary file in dir: the stream Diff returns holds the
// layer store's lock, which PutLayer needs.
func putDiff(st cstore.Store, rw *cstore.Layer, dir, upperDir string) (*cstore.Layer, error) {
	f, err := os.CreateTemp(dir, ".commit-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := writeDiff(st, rw, f, upperDir); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	l, _, err := st.PutLayer("", rw.Parent, nil, "", false, nil, f)
	return l, err
}

func writeDiff(st cstore.Store, rw *cstore.Layer, w io.Writer, upperDir string) error {
	uncompressed := archive.Uncompressed
	diff, err := st.Diff(rw.Parent, rw.ID, &cstore.DiffOptions{Compression: &uncompressed})
	if err != nil {
		return err
	}
	defer diff.Close()
	return aufsWhiteouts(diff, w, upperDir)
}

// emptyCommit is the result of a commit without changes: the parent.
func emptyCommit(st cstore.Store, parent, cacheKey string) (api.Layer, error) {
	if parent == "" {
		return api.Layer{Empty: true}, nil
	}
	l, err := st.Layer(parent)
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to find layer %s: %w", parent, err)
	}
	if err := nameCache(st, l.ID, cacheKey); err != nil {
		return api.Layer{}, err
	}
	out := toAPILayer(l)
	out.Empty = true
	return out, nil
}

func nameCache(st cstore.Store, layerID, cacheKey string) error {
	if cacheKey == "" {
		return nil
	}
	if err := st.AddNames(layerID, []string{cachePrefix + cacheKey}); err != nil {
		return fmt.Errorf("failed to record the cache key of layer %s: %w", layerID, err)
	}
	return nil
}

// InspectLayer reports a layer by id or cache key; see api.Committer.
func (s *Store) InspectLayer(ctx context.Context, id, cacheKey string) (api.Layer, error) {
	st, err := s.open()
	if err != nil {
		return api.Layer{}, err
	}
	what := id
	if id == "" {
		what = cachePrefix + cacheKey
	}
	l, err := st.Layer(what)
	if err == nil && l.UncompressedDigest == "" {
		err = cstore.ErrLayerUnknown // a writable or half-made layer is no result
	}
	if isUnknown(err) {
		return api.Layer{}, api.Errorf(api.ErrNotFound, "", "layer %s not found", what)
	}
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to find layer %s: %w", what, err)
	}
	return toAPILayer(l), nil
}

func toAPILayer(l *cstore.Layer) api.Layer {
	return api.Layer{ID: l.ID, Parent: l.Parent, DiffDigest: l.UncompressedDigest.String(),
		Size: l.UncompressedSize, Created: l.Created}
}

// upperDir is where fuse-overlayfs keeps rw's own files (c/storage's
// overlay layout), for the opaque marks; "" for other drivers.
func (s *Store) upperDir(rw *cstore.Layer) string {
	if s.opts.Driver != DriverFuseOverlayfs {
		return ""
	}
	return filepath.Join(s.opts.GraphRoot, "overlay", rw.ID, "diff")
}
