package storage

import (
	"fmt"
	"os"

	cstore "go.podman.io/storage"
)

// Spare keep-id root filesystems. A keep-id container on mapped copies
// (mountOnCopies) is a writable layer made on the copy of its image's top
// layer: creating and mounting that layer was most of its prepare. As
// rootfs_spare.go does for c/storage containers, a warm plugin keeps one
// more such layer per top copy, named rrun-spare-PID-k-TOPCOPY, made and
// mounted in the background after each keep-id prepare that made one; the
// next keep-id container on the same copies (same image, same maps) takes
// it by renaming it, and its mount with it. Every Slurm step's container
// is one, on every node. Spare layers are dropped with the spare
// containers (dropSpares, dropDeadSparesLater).

func spareLayerName(top string) string {
	return fmt.Sprintf("%s%d-k-%s", sparePrefix, os.Getpid(), top)
}

// claimSpareLayer gives this process's spare layer on top the name name
// and returns it, with its mounted directory when it is still mounted ("":
// mount it); nil when there is none, or a spare is being made.
func (s *Store) claimSpareLayer(st cstore.Store, name, top string) (*cstore.Layer, string) {
	if !s.spareMu.TryLock() {
		return nil, "" // being made: creating one is as fast as waiting
	}
	defer s.spareMu.Unlock()
	l, err := st.Layer(spareLayerName(top))
	if err != nil || l.Parent != top {
		return nil, ""
	}
	if err := st.SetNames(l.ID, []string{name}); err != nil {
		return nil, ""
	}
	l.Names = []string{name}
	return l, mountedDir(st, l.ID)
}

// makeSpareLayerLater makes and mounts, in the background, this process's
// next spare layer on top.
func (s *Store) makeSpareLayerLater(top string) {
	s.spareLater(func(st cstore.Store) {
		name := spareLayerName(top)
		if _, err := st.Layer(name); err == nil {
			return
		}
		l, err := st.CreateLayer("", top, []string{name}, "", true, nil)
		if err != nil {
			return // no spare: the next keep-id prepare creates its layer
		}
		_, _ = st.Mount(l.ID, "") // unmounted, the spare is mounted when claimed
	})
}
