package storage

import (
	"fmt"
	"os"
	"strings"

	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// Spare root filesystems: creating a c/storage container (its writable
// layer's dirs and records) is most of PrepareVolatileRootfs. A warm
// plugin (api.WarmProcess) therefore keeps one unmounted volatile
// container per image it prepared, named rrun-spare-PID-IMAGEID, made in
// the background after each prepare; the next --rm container of that
// image takes it by renaming it, and only mounts. A spare is an ordinary
// empty container: a plugin killed with one leaves nothing a user sees,
// and every call that counts containers or removes images drops the spares
// first (dropSpares), as it finishes pending removals.

const sparePrefix = "rrun-spare-"

func spareName(imageID string) string {
	return fmt.Sprintf("%s%d-%s", sparePrefix, os.Getpid(), imageID)
}

// claimSpare gives this process's spare of imageID the name containerID
// and returns it; nil when there is none (or it is being made).
func (s *Store) claimSpare(st cstore.Store, containerID, imageID string) *cstore.Container {
	if !s.spareMu.TryLock() {
		return nil // a spare is being made: creating one is as fast as waiting
	}
	defer s.spareMu.Unlock()
	c, err := st.Container(spareName(imageID))
	if err != nil || c.ImageID != imageID {
		return nil
	}
	if err := st.SetNames(c.ID, []string{containerID}); err != nil {
		return nil // dropped meanwhile by another process: make a new one
	}
	c.Names = []string{containerID}
	return c
}

// makeSpareLater makes, in the background, this process's next spare of
// imageID, when the process is a warm plugin (a plugin of one command
// would not live to use it).
func (s *Store) makeSpareLater(imageID string) {
	if !api.WarmProcess() {
		return
	}
	s.removals.Add(1)
	go func() {
		defer s.removals.Done()
		s.spareMu.Lock()
		defer s.spareMu.Unlock()
		st, err := s.open()
		if err != nil {
			return
		}
		if _, err := st.Container(spareName(imageID)); err == nil {
			return
		}
		_, _ = st.CreateContainer("", []string{spareName(imageID)}, imageID, "", "", &cstore.ContainerOptions{Volatile: true}) // no spare: the next prepare creates its container
	}()
}

// dropSpares deletes every spare, of any process: an image they were made
// from must be removable, and usage must not count them. A spare another
// process claims meanwhile has its new name and is not touched (c/storage
// resolves the name under its lock).
func dropSpares(st cstore.Store) {
	cs, err := st.Containers()
	if err != nil {
		return
	}
	for _, c := range cs {
		for _, n := range c.Names {
			if strings.HasPrefix(n, sparePrefix) {
				_ = st.DeleteContainer(n) // claimed or dropped meanwhile: not a spare any more
			}
		}
	}
}
