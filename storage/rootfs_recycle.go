package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/moby/sys/mountinfo"
	cstore "go.podman.io/storage"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// Recycled root filesystems: removing a --rm container's c/storage
// container (its layer's records, a staged deletion of its dirs) and
// creating the next run's spare (the same records and dirs anew) were
// most of a warm storage plugin's CPU per `run --rm` (~8 of ~13 ms here).
// When the removed container is a volatile one on kernel overlay that
// this process made, and a spare slot of its image is free, the
// background removal instead unmounts it, empties its upper dir, puts
// the upper dir's root back as it was made (mode, owner, times, no
// extended attributes: a container may chmod / or set an xattr on it),
// mounts it again and names it one of the image's recycled spares,
// rrun-spare-PID-r-SLOT-IMAGEID, which the next --rm runs of the image
// claim as they claim the other spare. Nothing of the old container is left:
// the upper dir is empty and its root as created, the lower layers are
// the image's, read-only, and overlay clears its work dir at mount. What
// cannot be recycled (another driver, a process that did not see the
// container made, no free slot, any failure) is removed as before.

// recycledSlots is how many recycled spares an image may have: back to
// back runs claim the next spare while the last one's removal is still
// recycling, so with one slot a removal often found it taken again (and
// removed its container, and the claim had the spare made anew: ~a third
// of back-to-back runs here); with two, a recycling finds a free one.
const recycledSlots = 2

// recycledName is the name of the recycled spare of imageID in slot.
func recycledName(imageID string, slot int) string {
	return fmt.Sprintf("%s%d-r-%d-%s", sparePrefix, os.Getpid(), slot, imageID)
}

// upperRoot is the upper dir's root as its layer was made.
type upperRoot struct {
	mode     uint32
	uid, gid uint32
	mtime    unix.Timespec
}

// pristine holds the upper roots of the volatile containers this process
// made, by layer id: only those are recycled.
type pristine struct {
	mu     sync.Mutex
	layers map[string]upperRoot
}

// remember records the upper root of container c, just made.
func (s *Store) remember(st cstore.Store, c *cstore.Container) {
	if !s.recycles() || !isVolatile(c) {
		return
	}
	dir, err := writableDir(st, c.LayerID)
	if err != nil || dir == "" {
		return
	}
	root, ok := readUpperRoot(dir)
	if !ok {
		return
	}
	s.keep(c.LayerID, root)
}

// keep records root as the upper root of layerID as made.
func (s *Store) keep(layerID string, root upperRoot) {
	s.pristine.mu.Lock()
	defer s.pristine.mu.Unlock()
	if s.pristine.layers == nil {
		s.pristine.layers = map[string]upperRoot{}
	}
	s.pristine.layers[layerID] = root
}

// forget drops what remember recorded of layerID, and returns it.
func (s *Store) forget(layerID string) (upperRoot, bool) {
	s.pristine.mu.Lock()
	defer s.pristine.mu.Unlock()
	root, ok := s.pristine.layers[layerID]
	delete(s.pristine.layers, layerID)
	return root, ok
}

// recycles reports whether this process recycles root filesystems: a
// warm plugin on kernel overlay (a FUSE mount would keep a daemon per
// spare; vfs's writable dir is the whole root filesystem).
func (s *Store) recycles() bool {
	return api.WarmProcess() && s.opts.Driver == DriverOverlay
}

func isVolatile(c *cstore.Container) bool {
	v, _ := c.Flags["Volatile"].(bool)
	return v
}

// readUpperRoot reads dir's mode, owner and mtime; ok is false when it has
// an extended attribute (which restoring it would have to recreate).
func readUpperRoot(dir string) (upperRoot, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return upperRoot{}, false
	}
	if n, err := unix.Llistxattr(dir, nil); err != nil || n != 0 {
		return upperRoot{}, false
	}
	return upperRoot{mode: st.Mode, uid: st.Uid, gid: st.Gid, mtime: st.Mtim}, true
}

// recycle makes the stopped volatile container containerID the recycled
// spare of its image, and reports whether it did; when it did not, the
// container may be unmounted and emptied already, for the caller to
// remove. Only a container whose upper root this process recorded
// (remember: volatile, kernel overlay, a warm plugin) is recycled.
func (s *Store) recycle(containerID string) bool {
	if !s.recycles() {
		return false
	}
	st, err := s.open()
	if err != nil {
		return false
	}
	c, err := st.Container(containerID)
	if err != nil {
		return false
	}
	taken := func(slot int) bool {
		_, err := st.Container(recycledName(c.ImageID, slot))
		return err == nil
	}
	return s.recycleAs(st, containerID, c.ID, c.LayerID, taken, func(slot int) string { return recycledName(c.ImageID, slot) })
}

// recycleAs empties the writable layer layerID of containerID's rootfs
// (id: its c/storage container's, or its layer's, which c/storage mounts
// and names alike), puts its upper root back as made, mounts it again and
// names it name(slot) in a slot taken says is free; it reports whether it
// did. Only a layer whose upper root this process recorded (remember,
// rememberLayer) is recycled.
func (s *Store) recycleAs(st cstore.Store, containerID, id, layerID string, taken func(slot int) bool, name func(slot int) string) bool {
	root, ok := s.forget(layerID)
	if !ok || freeSlot(taken) < 0 {
		return false
	}
	dir, err := writableDir(st, layerID)
	if err != nil || dir == "" {
		return false
	}
	if !remountEmptied(st, layerID, dir, root) {
		if unmount(st, containerID) != nil || emptyDir(dir, "an upper dir") != nil || restoreUpperRoot(dir, root) != nil {
			return false
		}
		if _, err := st.Mount(id, ""); err != nil {
			return false
		}
	}
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	slot := freeSlot(taken)
	if slot < 0 || st.SetNames(id, []string{name(slot)}) != nil {
		return false
	}
	s.keep(layerID, root) // its next run may be recycled again
	return true
}

// remountEmptied empties the upper dir of layerID's mounted overlay and
// restores its root under the same mount point, keeping c/storage's
// record of the mount as it is (mounted once): it unmounts the overlay
// itself, not detached (a mount still in use goes c/storage's way, as
// before), and mounts it again with the flags and options the kernel
// shows for it. Through c/storage, the unmount replaced the merged dir
// (a new inode) and each of the two steps rewrote mountpoints.json: on
// this kind of VM's journal-less ext4 every inode made and deleted makes
// the next allocations slower for a minute or more. It reports whether it
// did; when it did not, the overlay is mounted as it was (the caller
// recycles through c/storage), or, once unmounted, unmounted in
// c/storage's records too, with the upper dir possibly emptied.
func remountEmptied(st cstore.Store, layerID, upper string, root upperRoot) bool {
	d, err := st.GraphDriver()
	if err != nil {
		return false
	}
	md, err := d.Metadata(layerID)
	if err != nil || md["MergedDir"] == "" {
		return false
	}
	merged := md["MergedDir"]
	mounts, err := mountinfo.GetMounts(mountinfo.SingleEntryFilter(merged))
	if err != nil || len(mounts) != 1 {
		return false
	}
	flags, data, ok := overlayRemount(mounts[0])
	if !ok {
		return false
	}
	if unix.Unmount(merged, 0) != nil {
		return false
	}
	if emptyDir(upper, "an upper dir") == nil && restoreUpperRoot(upper, root) == nil &&
		clearVolatileMark(data) == nil && unix.Mount("overlay", merged, "overlay", flags, data) == nil {
		return true
	}
	_, _ = st.Unmount(layerID, true) // c/storage's count goes to 0 (the mount is gone already)
	return false
}

// clearVolatileMark removes the mark a volatile overlay leaves in its
// work dir, without which the kernel refuses to mount it again (as
// c/storage's overlay driver does before each mount).
func clearVolatileMark(data string) error {
	for _, o := range strings.Split(data, ",") {
		if work, ok := strings.CutPrefix(o, "workdir="); ok {
			err := os.RemoveAll(filepath.Join(work, "work", "incompat", "volatile"))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			return nil
		}
	}
	return errors.New("no workdir in the overlay's options")
}

// mountFlags are the per-mount options mountinfo shows that
// overlayRemount passes on.
var mountFlags = map[string]uintptr{
	"rw": 0, "ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC,
	"relatime": unix.MS_RELATIME, "noatime": unix.MS_NOATIME, "nodiratime": unix.MS_NODIRATIME, "strictatime": unix.MS_STRICTATIME,
}

// overlayRemount turns a kernel overlay mount's mountinfo entry into the
// flags and data that mount it again; ok is false for anything else (a
// FUSE overlay, an escaped character in the options).
func overlayRemount(m *mountinfo.Info) (flags uintptr, data string, ok bool) {
	if m.FSType != "overlay" || strings.Contains(m.VFSOptions, `\`) {
		return 0, "", false
	}
	for _, o := range strings.Split(m.Options, ",") {
		f, known := mountFlags[o]
		if !known {
			return 0, "", false
		}
		flags |= f
	}
	var opts []string
	for _, o := range strings.Split(m.VFSOptions, ",") {
		if o != "rw" && o != "ro" {
			opts = append(opts, o)
		}
	}
	return flags, strings.Join(opts, ","), len(opts) > 0
}

// freeSlot is the first of the recycledSlots that taken says no to, or -1.
func freeSlot(taken func(slot int) bool) int {
	for slot := range recycledSlots {
		if !taken(slot) {
			return slot
		}
	}
	return -1
}

// restoreUpperRoot puts dir (an empty upper dir) back as root says it was
// made, and checks it: owner, mode, times, and no extended attribute
// (overlay's own user.overlay.* or one the container set on /).
func restoreUpperRoot(dir string, root upperRoot) error {
	if err := removeXattrs(dir); err != nil {
		return err
	}
	if err := unix.Lchown(dir, int(root.uid), int(root.gid)); err != nil {
		return err
	}
	if err := unix.Chmod(dir, root.mode&0o7777); err != nil {
		return err
	}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, dir, []unix.Timespec{root.mtime, root.mtime}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	got, ok := readUpperRoot(dir)
	if !ok || got.mode != root.mode || got.uid != root.uid || got.gid != root.gid {
		return errors.New("the upper dir's root could not be restored")
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		return errors.New("the upper dir is not empty")
	}
	return nil
}

// removeXattrs removes every extended attribute of path.
func removeXattrs(path string) error {
	size, err := unix.Llistxattr(path, nil)
	if err != nil || size == 0 {
		return err
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(path, buf); err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if err := unix.Lremovexattr(path, name); err != nil {
			return fmt.Errorf("failed to remove %s of %s: %w", name, path, err)
		}
	}
	return nil
}
