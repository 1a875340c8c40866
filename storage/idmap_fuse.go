package storage

import (
	"os"
	"os/exec"
	"path/filepath"

	cstore "go.podman.io/storage"
)

// The native overlay driver cannot shift ids rootless (Linux refuses an
// idmapped mount of an overlayfs mounted in a user namespace), but its
// layers are laid out as fuse-overlayfs reads them. So a keep-id container
// of an overlay store is mounted by a second c/storage store on the same
// graph root, whose overlay driver mounts through fuse-overlayfs with
// uidmapping/gidmapping: nothing is copied, and the container's writes land
// in its layer unmapped, as any container's. That store has a run root of
// its own (its mount counts); everything else is shared, under c/storage's
// locks.

// fuseMountable reports whether this store can mount keep-id containers
// through fuse-overlayfs: a native overlay store, the program installed
// and /dev/fuse usable.
func (s *Store) fuseMountable() bool {
	return s.opts.Driver == DriverOverlay && FuseUsable()
}

// FuseUsable reports whether fuse-overlayfs is installed and /dev/fuse
// opens for this user: an overlay store's keep-id containers then get
// their ids shifted by fuse-overlayfs.
func FuseUsable() bool {
	if _, err := exec.LookPath(FuseOverlayfsProgram); err != nil {
		return false
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// fuseStore returns the fuse-overlayfs view of this overlay store, opening
// it on first use.
func (s *Store) fuseStore() (cstore.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fuse != nil {
		return s.fuse, nil
	}
	// The view reads the same read-only image stores as the store itself,
	// or an image that lives only there has no layers in it.
	dopts := []string{"overlay.mount_program=" + FuseOverlayfsProgram}
	for _, p := range s.opts.AdditionalImageStores {
		dopts = append(dopts, "overlay.imagestore="+p)
	}
	st, err := openOverlay(s.opts.GraphRoot, func() (cstore.Store, error) {
		return cstore.GetStore(cstore.StoreOptions{
			GraphRoot:          s.opts.GraphRoot,
			RunRoot:            filepath.Join(s.opts.RunRoot, "idmap-fuse"),
			GraphDriverName:    DriverOverlay,
			GraphDriverOptions: dopts,
		})
	})
	if err != nil {
		return nil, err
	}
	s.fuse = st
	return st, nil
}

// mountStoreFor is the store that mounts containerID's rootfs: the fuse
// view for a keep-id container of an overlay store mounted through it.
func (s *Store) mountStoreFor(st cstore.Store, containerID string) cstore.Store {
	if s.opts.Driver != DriverOverlay {
		return st
	}
	c, err := st.Container(containerID)
	if err != nil || len(c.UIDMap) == 0 {
		return st
	}
	if f, err := s.fuseStore(); err == nil {
		return f
	}
	return st
}

// closeFuse shuts the fuse view down (its mounts with it). Call with s.mu
// held.
func (s *Store) closeFuse() {
	if s.fuse != nil {
		_, _ = s.fuse.Shutdown(true) // best effort: the session's end unmounts the rest
		s.fuse = nil
	}
}
