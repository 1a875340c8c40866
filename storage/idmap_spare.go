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
// mount it); nil when there is none, or a spare is being made. A
// recycled one (below) is tried first.
func (s *Store) claimSpareLayer(st cstore.Store, name, top string) (*cstore.Layer, string) {
	s.claimMu.Lock()
	for slot := range recycledSlots {
		if l := takeSpareLayer(st, recycledLayerName(top, slot), name, top); l != nil {
			s.claimMu.Unlock()
			return l, mountedDir(st, l.ID)
		}
	}
	s.claimMu.Unlock()
	if !s.spareMu.TryLock() {
		return nil, "" // being made: creating one is as fast as waiting
	}
	defer s.spareMu.Unlock()
	l := takeSpareLayer(st, spareLayerName(top), name, top)
	if l == nil {
		return nil, ""
	}
	return l, mountedDir(st, l.ID)
}

// takeSpareLayer renames the spare layer spare (on top) to name and
// returns it; nil when there is none.
func takeSpareLayer(st cstore.Store, spare, name, top string) *cstore.Layer {
	l, err := st.Layer(spare)
	if err != nil || l.Parent != top {
		return nil
	}
	if err := st.SetNames(l.ID, []string{name}); err != nil {
		return nil
	}
	l.Names = []string{name}
	return l
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
		s.rememberLayer(st, l.ID)
		_, _ = st.Mount(l.ID, "") // unmounted, the spare is mounted when claimed
	})
}

// Recycled keep-id layers: as a --rm container's rootfs is recycled
// (rootfs_recycle.go), the removal of a keep-id container's writable layer
// that this process made (every Slurm step's, on every node) empties it
// and names it a recycled spare layer on the same copies,
// rrun-spare-PID-k-r-SLOT-TOPCOPY, instead of deleting it (and the next
// prepare's spare being made anew): its upper dir emptied, its root put
// back as made, mounted again. What cannot be recycled is removed as
// before.

func recycledLayerName(top string, slot int) string {
	return fmt.Sprintf("%s%d-k-r-%d-%s", sparePrefix, os.Getpid(), slot, top)
}

// rememberLayer records the upper root of layerID, a keep-id writable
// layer this process just made: only those are recycled.
func (s *Store) rememberLayer(st cstore.Store, layerID string) {
	if !s.recycles() {
		return
	}
	dir, err := writableDir(st, layerID)
	if err != nil || dir == "" {
		return
	}
	if root, ok := readUpperRoot(dir); ok {
		s.keep(layerID, root)
	}
}

// recycleKeepIDLayer makes containerID's keep-id layer a recycled spare
// layer, and reports whether it did; when it did not, the layer may be
// unmounted and emptied already, for the caller to remove.
func (s *Store) recycleKeepIDLayer(st cstore.Store, containerID string) bool {
	if !s.recycles() {
		return false
	}
	l, err := st.Layer(keepIDRootfsPrefix + containerID)
	if err != nil || l.Parent == "" {
		return false
	}
	taken := func(slot int) bool {
		_, err := st.Layer(recycledLayerName(l.Parent, slot))
		return err == nil
	}
	return s.recycleAs(st, containerID, l.ID, l.ID, taken, func(slot int) string { return recycledLayerName(l.Parent, slot) })
}
