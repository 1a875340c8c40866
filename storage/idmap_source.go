package storage

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	cstore "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/idtools"
)

// A mapped copy reads its layer without the store's lock where it can:
// store.Diff holds the layer store's write lock until its stream is
// closed, so every rrun on the store would wait for a whole layer's copy.
// On the kernel overlay driver (the store the background copies are made
// for) the copier takes the lock only to find the layer's diff
// directory and its parents', tars the directory itself as the driver's
// Diff does, and before the tar ends checks that the layer still exists,
// unchanged: an image layer never changes while it exists, and one removed
// meanwhile (rmi) makes the copy fail instead of storing a partial one.
// PutLayer extracts unlocked too (c/storage stages it), and takes the lock
// only to name the finished layer.

// layerSource is an image layer's files as the overlay driver keeps them.
type layerSource struct {
	id      string
	created time.Time
	dir     string   // the layer's diff directory
	lowers  []string // its parents' diff directories, nearest first
}

// findLayerSource resolves layer id's directories, holding the store's
// lock only for each lookup. ok is false where the copier cannot read the
// layer on its own: another driver or a mount program, metacopy (a diff
// directory may then hold files without their data), or a layer of an
// additional image store.
func findLayerSource(st cstore.Store, id string) (*layerSource, bool) {
	if !plainOverlayDirs(st) {
		return nil, false
	}
	l, err := st.Layer(id)
	if err != nil {
		return nil, false
	}
	src := &layerSource{id: l.ID, created: l.Created}
	if src.dir, err = st.DifferTarget(l.ID); err != nil {
		return nil, false
	}
	for p := l.Parent; p != ""; p = l.Parent {
		if l, err = st.Layer(p); err != nil {
			return nil, false
		}
		dir, err := st.DifferTarget(l.ID)
		if err != nil {
			return nil, false
		}
		src.lowers = append(src.lowers, dir)
	}
	return src, true
}

// plainOverlayDirs reports whether st is a kernel overlay store whose diff
// directories hold each layer's files whole. Not c/storage's "Native
// Overlay Diff": that is one flag per process, which the fuse view of the
// store (a mount program) turns off for the native store too; it guards
// diffs of containers' upper directories (an old kernel's opaque-dir
// bug), not the image layers c/storage extracted, which are copied here.
func plainOverlayDirs(st cstore.Store) bool {
	if st.GraphDriverName() != DriverOverlay || slices.ContainsFunc(st.GraphOptions(), func(o string) bool {
		return strings.Contains(o, "mount_program")
	}) {
		return false
	}
	status, err := st.Status()
	if err != nil {
		return false
	}
	for _, kv := range status {
		if kv[0] == "Using metacopy" {
			return kv[1] == "false"
		}
	}
	return false
}

// mappedTar streams the layer's tar with its owners mapped by m, read
// without the store's lock. The stream fails, instead of ending, when the
// layer went or changed while it was read.
func (src *layerSource) mappedTar(st cstore.Store, m *idtools.IDMappings) (io.ReadCloser, error) {
	rc, err := archive.TarWithOptions(src.dir, &archive.TarOptions{
		Compression:    archive.Uncompressed,
		WhiteoutFormat: archive.OverlayWhiteoutFormat,
		WhiteoutData:   src.lowers,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read layer %s: %w", src.id, err)
	}
	pr, pw := io.Pipe()
	go func() {
		err := mapTar(pw, rc, m, func() error { return src.unchanged(st) })
		rc.Close()
		pw.CloseWithError(err) // nil: EOF
	}()
	return pr, nil
}

// unchanged fails unless the layer is still the one whose files were read.
func (src *layerSource) unchanged(st cstore.Store) error {
	l, err := st.Layer(src.id)
	if err == nil && (!l.Created.Equal(src.created) || l.Flags["incomplete"] != nil) {
		err = cstore.ErrLayerUnknown
	}
	if err != nil {
		return fmt.Errorf("layer %s was removed while it was copied: %w", src.id, err)
	}
	return nil
}
