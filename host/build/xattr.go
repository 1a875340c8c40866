package build

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// paxXattr is the prefix of an xattr in a tar header's PAX records.
const paxXattr = "SCHILY.xattr."

// copyXattrs gives hp the extended attributes of sp, as BuildKit's COPY
// does (user.*, security.capability, ...). It runs after chown, which
// clears security.capability. Attributes of the storage's own machinery
// are skipped; a destination that has no xattrs (or refuses one on a
// symlink) just goes without, as "where the backend has them" says.
func copyXattrs(sp, hp string) error {
	names, err := listXattrs(sp)
	if err != nil {
		return nil // a source without xattrs support has none to copy
	}
	for _, n := range names {
		if skippedXattr(n) {
			continue
		}
		val, err := getXattr(sp, n)
		if err != nil {
			continue // removed meanwhile, or not readable: as cp -a
		}
		if err := setXattr(hp, n, val); err != nil {
			return err
		}
	}
	return nil
}

// skippedXattr reports the attributes that belong to the storage or the
// host, not to the file: overlay's own, c/storage's ownership overrides
// and SELinux labels.
func skippedXattr(name string) bool {
	for _, p := range []string{"trusted.overlay.", "user.overlay.", "user.containers.", "security.selinux", "system."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// setXattr sets one attribute; where the file system cannot hold it the
// file goes without.
func setXattr(hp, name string, val []byte) error {
	err := unix.Lsetxattr(hp, name, val, 0)
	// ENOTSUP: no xattrs here. EPERM: trusted.* without the privilege, or
	// user.* on a symlink or device (the kernel allows it on files and
	// directories only).
	if err == nil || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
		return nil
	}
	return fmt.Errorf("failed to set xattr %s on %s: %w", name, hp, err)
}

func listXattrs(p string) ([]string, error) {
	size, err := unix.Llistxattr(p, nil)
	if err != nil || size == 0 {
		return nil, err
	}
	buf := make([]byte, size)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Split(string(buf[:n]), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

func getXattr(p, name string) ([]byte, error) {
	size, err := unix.Lgetxattr(p, name, nil)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// setTarXattrs gives hp the xattrs of a tar entry (ADD of an archive).
func setTarXattrs(hp string, pax map[string]string) error {
	for k, v := range pax {
		if n, ok := strings.CutPrefix(k, paxXattr); ok && !skippedXattr(n) {
			if err := setXattr(hp, n, []byte(v)); err != nil {
				return err
			}
		}
	}
	return nil
}
