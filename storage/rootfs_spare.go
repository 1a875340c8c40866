package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	cstore "go.podman.io/storage"
	"go.podman.io/storage/pkg/mount"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// Spare root filesystems: creating a c/storage container (its writable
// layer's dirs and records) is most of PrepareVolatileRootfs. A warm
// plugin (api.WarmProcess) therefore keeps one volatile container per
// image it prepared, named rrun-spare-PID-IMAGEID, made and mounted in the
// background after each prepare; the next --rm container of that image
// takes it by renaming it, and its mount with it. A container that stays
// (run -d, create) is an ordinary one, whose records c/storage writes with
// fsync: its spare, rrun-spare-PID-d-IMAGEID, is made after the prepare of
// a new such container. A spare is an ordinary empty container: a plugin
// killed with one leaves nothing a user sees, and every call that counts
// containers or removes images drops the spares first (dropSpares), as it
// finishes pending removals.

const sparePrefix = "rrun-spare-"

func spareName(imageID string, volatile bool) string {
	if !volatile {
		return fmt.Sprintf("%s%d-d-%s", sparePrefix, os.Getpid(), imageID)
	}
	return fmt.Sprintf("%s%d-%s", sparePrefix, os.Getpid(), imageID)
}

// claimSpare gives this process's spare of imageID (volatile, or one that
// stays) the name containerID and returns it, with its mounted directory
// when it is still mounted ("": mount it); nil when there is none (or it
// is being made). A volatile claim tries the recycled spares first
// (rootfs_recycle.go), so that the one made anew stays for when a
// recycling is late; the recycled one gets its name only once it is
// mounted, so it is claimed without waiting for a spare being made.
func (s *Store) claimSpare(st cstore.Store, containerID, imageID string, volatile bool) (*cstore.Container, string) {
	if volatile {
		s.claimMu.Lock()
		var c *cstore.Container
		for slot := 0; slot < recycledSlots && c == nil; slot++ {
			c = takeSpare(st, recycledName(imageID, slot), containerID, imageID)
		}
		s.claimMu.Unlock()
		if c != nil {
			return c, mountedDir(st, c.LayerID)
		}
	}
	if !s.spareMu.TryLock() {
		return nil, "" // a spare is being made: creating one is as fast as waiting
	}
	defer s.spareMu.Unlock()
	c := takeSpare(st, spareName(imageID, volatile), containerID, imageID)
	if c == nil {
		return nil, ""
	}
	return c, mountedDir(st, c.LayerID)
}

// takeSpare renames the spare name (of imageID) to containerID and
// returns it; nil when there is none, or a drop took it first. Two claims
// of one name must not run at once (claimMu, spareMu): c/storage renames
// by id, whatever the name is by then.
func takeSpare(st cstore.Store, name, containerID, imageID string) *cstore.Container {
	c, err := st.Container(name)
	if err != nil || c.ImageID != imageID {
		return nil
	}
	if err := st.SetNames(c.ID, []string{containerID}); err != nil {
		return nil
	}
	c.Names = []string{containerID}
	return c
}

// mountedDir is where layerID is mounted in this mount namespace, as
// c/storage counts it and the kernel confirms; "" when it is not.
func mountedDir(st cstore.Store, layerID string) string {
	l, err := st.Layer(layerID)
	if err != nil || l.MountCount == 0 || l.MountPoint == "" {
		return ""
	}
	if ok, err := mount.Mounted(l.MountPoint); err != nil || !ok {
		return ""
	}
	return l.MountPoint
}

// makeSpareLater makes, in the background, this process's next spare of
// imageID (volatile or not). The spare is mounted too, unless the store
// mounts with a FUSE program (a daemon per idle spare): its container
// then only takes the mount over. The mount is in this process's mount
// namespace, the session holder's, which every container of this plugin
// shares.
func (s *Store) makeSpareLater(imageID string, volatile bool) {
	s.spareLater(func(st cstore.Store) {
		name := spareName(imageID, volatile)
		if _, err := st.Container(name); err == nil {
			return
		}
		c, err := st.CreateContainer("", []string{name}, imageID, "", "", &cstore.ContainerOptions{Volatile: volatile})
		if err != nil || s.opts.Driver == DriverFuseOverlayfs {
			return // no spare, or an unmounted one: the next prepare mounts or creates its container
		}
		s.remember(st, c)
		_, _ = st.Mount(c.ID, "") // unmounted, the spare is mounted when claimed
	})
}

// spareLater runs work in the background with the store open and spareMu
// held (claims give up meanwhile), when this process is a warm plugin: a
// plugin of one command would not live to use a spare. settleRemovals
// waits for it.
func (s *Store) spareLater(work func(st cstore.Store)) {
	if !api.WarmProcess() {
		return
	}
	s.removals.Add(1)
	go func() {
		defer s.removals.Done()
		s.spareMu.Lock()
		defer s.spareMu.Unlock()
		if st, err := s.open(); err == nil {
			work(st)
		}
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
	for _, n := range spareLayers(st, func(int) bool { return true }) {
		_ = st.DeleteLayer(n) // as above; a mounted one is unmounted first
	}
}

// spareLayers names the spare layers (idmap_spare.go) of the processes
// whose pid dead says yes to.
func spareLayers(st cstore.Store, dead func(pid int) bool) []string {
	ls, err := st.Layers()
	if err != nil {
		return nil
	}
	var names []string
	for _, l := range ls {
		for _, n := range l.Names {
			if pid, ok := sparePID(n); ok && dead(pid) {
				names = append(names, n)
			}
		}
	}
	return names
}

// dropDeadSparesLater deletes, in the background, the spares of warm
// plugins that are gone: one that exited idle left its spares (mounted in
// the session holder's mount namespace), and nothing else would remove
// them before the next rmi or usage. Only a warm plugin looks: it sees the
// host's pids, as the spares' names do; a plugin in a session's own pid
// namespace would take every spare for dead.
func (s *Store) dropDeadSparesLater(st cstore.Store) {
	if !api.WarmProcess() {
		return
	}
	s.removals.Add(1)
	go func() {
		defer s.removals.Done()
		cs, err := st.Containers()
		if err != nil {
			return
		}
		for _, c := range cs {
			for _, n := range c.Names {
				if pid, ok := sparePID(n); ok && !processExists(pid) {
					_ = st.DeleteContainer(n) // dropped meanwhile: nothing to do
				}
			}
		}
		for _, n := range spareLayers(st, func(pid int) bool { return !processExists(pid) }) {
			_ = st.DeleteLayer(n) // as above
		}
	}()
}

// sparePID is the pid in a spare's name rrun-spare-PID-[d-|r-SLOT-]IMAGEID or
// rrun-spare-PID-k-LAYERID.
func sparePID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, sparePrefix)
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
	return pid, err == nil && pid > 0
}

// processExists reports whether pid names a live process (of any user):
// a zombie, not reaped yet, is gone.
func processExists(pid int) bool {
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc to ask: kill said it lives
	}
	i := bytes.LastIndexByte(stat, ')') // the name may hold spaces and parentheses
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}
