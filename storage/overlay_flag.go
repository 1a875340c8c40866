package storage

import (
	"bytes"
	"os"
	"path/filepath"

	cstore "go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// c/storage's overlay driver records in DRIVERHOME/.has-mount-program that
// its store was opened with a mount program, and from then on mounts every
// layer of the store through fuse-overlayfs, whatever the options of a later
// open say. The fuse view of an overlay store (idmap_fuse.go) opens the same
// graph root with one: without openOverlay, the first keep-id run of a store
// moved every later container of it onto FUSE, plain runs and the mapped
// copies meant for native overlay alike (one fuse-overlayfs daemon per
// container, FUSE file I/O).
const (
	overlayFlagFile = ".has-mount-program"
	overlayOpenLock = ".rrun-overlay-open.lock"
)

// openOverlay runs open, a c/storage open of the overlay store in
// graphRoot (the store itself or its fuse view), with the mount-program
// flag cleared before and after it, under a lock every such open of the
// store takes: the store's own opens always find it cleared, and so use
// native overlay.
func openOverlay(graphRoot string, open func() (cstore.Store, error)) (cstore.Store, error) {
	if err := os.MkdirAll(graphRoot, 0o700); err != nil {
		return open() // c/storage says what is wrong with the dir
	}
	lock, err := os.OpenFile(filepath.Join(graphRoot, overlayOpenLock), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return open()
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return open()
	}
	flag := filepath.Join(graphRoot, "overlay", overlayFlagFile)
	clearOverlayFlag(flag)
	st, err := open()
	clearOverlayFlag(flag)
	return st, err
}

// clearOverlayFlag sets the flag to "false" where it says "true".
func clearOverlayFlag(path string) {
	if b, err := os.ReadFile(path); err == nil && bytes.Equal(bytes.TrimSpace(b), []byte("true")) {
		_ = os.WriteFile(path, []byte("false"), 0o600) // at worst the store mounts through FUSE, as before
	}
}
