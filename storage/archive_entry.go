package storage

import (
	"archive/tar"
	"fmt"
	"path"
	"strings"
)

// checkEntry refuses an archive entry (Load reports it as
// ErrInvalidArgument) that would land outside the
// directory the archive is unpacked in, as docker load does: a name, a
// hard link target, or a relative symlink target that climbs above the
// root with "..". (Absolute symlink targets are taken inside the root.)
func checkEntry(hdr *tar.Header) error {
	escapes := climbsOut(hdr.Name)
	switch hdr.Typeflag {
	case tar.TypeLink:
		escapes = escapes || climbsOut(hdr.Linkname)
	case tar.TypeSymlink:
		escapes = escapes || !path.IsAbs(hdr.Linkname) && climbsOut(path.Dir(hdr.Name)+"/"+hdr.Linkname)
	}
	if escapes {
		return fmt.Errorf("entry %q (link %q) points outside the archive", hdr.Name, hdr.Linkname)
	}
	return nil
}

// climbsOut reports whether p, taken from the root, goes above it at any
// step.
func climbsOut(p string) bool {
	depth := 0
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
