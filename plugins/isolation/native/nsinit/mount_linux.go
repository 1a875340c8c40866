package nsinit

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

type mountFlag struct {
	clear bool
	flag  uintptr
}

// mountFlags are the options mount(8) turns into flags; others are data.
var mountFlags = map[string]mountFlag{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC}, "remount": {false, unix.MS_REMOUNT},
	"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
	"nodiratime": {false, unix.MS_NODIRATIME}, "diratime": {true, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
}

var propagationFlags = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// mountOptions splits options into flags, propagation flags and data.
type mountOptions struct {
	flags, propagation uintptr
	data               []string
}

func parseMountOptions(opts []string) mountOptions {
	var mo mountOptions
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			if f.clear {
				mo.flags &^= f.flag
			} else {
				mo.flags |= f.flag
			}
		} else if p, ok := propagationFlags[o]; ok {
			mo.propagation |= p
		} else {
			mo.data = append(mo.data, o)
		}
	}
	return mo
}

// mountOne mounts like mount(8): a bind is made first and its flags are
// applied afterwards, since MS_BIND ignores them.
func mountOne(source, target, fstype string, opts []string) error {
	mo := parseMountOptions(opts)
	var err error
	if fstype == "bind" || mo.flags&unix.MS_BIND != 0 {
		err = bindMount(source, target, mo)
	} else {
		err = unix.Mount(source, target, fstype, mo.flags, strings.Join(mo.data, ","))
	}
	if err == nil && mo.propagation != 0 {
		err = unix.Mount("", target, "", mo.propagation, "")
	}
	if err != nil {
		return fmt.Errorf("failed to mount %s on %s: %w", source, target, err)
	}
	return nil
}

func bindMount(source, target string, mo mountOptions) error {
	if err := unix.Mount(source, target, "", mo.flags&(unix.MS_BIND|unix.MS_REC), ""); err != nil {
		return err
	}
	return setMountAttr(target, mo.flags, mo.flags&unix.MS_REC != 0)
}

// setMountAttr applies ro, nosuid, nodev and noexec to a mount that exists.
// mount_setattr(2) changes only those, where a MS_REMOUNT would have to
// repeat the flags the kernel locked on a mount from another user namespace.
func setMountAttr(target string, flags uintptr, recursive bool) error {
	var attr uint64
	for flag, a := range map[uintptr]uint64{
		unix.MS_RDONLY: unix.MOUNT_ATTR_RDONLY, unix.MS_NOSUID: unix.MOUNT_ATTR_NOSUID,
		unix.MS_NODEV: unix.MOUNT_ATTR_NODEV, unix.MS_NOEXEC: unix.MOUNT_ATTR_NOEXEC,
	} {
		if flags&flag != 0 {
			attr |= a
		}
	}
	if attr == 0 {
		return nil
	}
	var at uint
	if recursive {
		at = unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(unix.AT_FDCWD, target, at, &unix.MountAttr{Attr_set: attr}); err != nil {
		return fmt.Errorf("failed to set mount attributes on %s: %w", target, err)
	}
	return nil
}
