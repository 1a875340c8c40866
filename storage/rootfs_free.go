package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cstore "go.podman.io/storage"
)

// emptyWritableLayer deletes the files of a container's writable layer in
// place, before c/storage touches its metadata: deleting a container
// rewrites layers.json and mountpoints.json (temp file + rename), which on
// a full disk fails for want of the very room those files hold, and the
// space would never come back. The layer is the container's alone, and
// its container has stopped; c/storage removes the emptied layer as usual.
func emptyWritableLayer(st cstore.Store, layerID string) error {
	dir, err := writableDir(st, layerID)
	if err != nil || dir == "" {
		return err
	}
	return emptyDir(dir, "the writable layer "+layerID)
}

// emptyDir removes everything in dir (what names it in errors); a dir
// that is gone is empty.
func emptyDir(dir, what string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", what, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("failed to empty %s: %w", what, err)
		}
	}
	return nil
}

// writableDir is where the driver keeps what a container wrote: overlay's
// upper dir (native or fuse-overlayfs), or vfs's full copy. "" for a
// driver that does not say.
func writableDir(st cstore.Store, layerID string) (string, error) {
	d, err := st.GraphDriver()
	if err != nil {
		return "", fmt.Errorf("failed to open the storage driver: %w", err)
	}
	md, err := d.Metadata(layerID)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("failed to find the writable layer %s: %w", layerID, err)
	}
	if up := md["UpperDir"]; up != "" {
		return up, nil
	}
	if d.String() == "vfs" { // vfs keeps each layer whole under dir/<id>
		return filepath.Join(st.GraphRoot(), "vfs", "dir", layerID), nil
	}
	return "", nil
}
