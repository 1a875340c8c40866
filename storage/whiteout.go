package storage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// aufsWhiteouts copies a layer tar from r to w, turning overlay-style
// whiteouts (character devices 0/0) into the ".wh.NAME" files of the
// image format. c/storage writes the overlay driver's diff with AUFS
// whiteouts only when it converts them itself; with fuse-overlayfs as the
// mount program the upper directory holds 0/0 devices that would reach
// the layer, and every reader of the image, as device files.
func aufsWhiteouts(r io.Reader, w io.Writer, upperDir string) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	// The whiteouts and opaque markers written so far: fuse-overlayfs may
	// mark an opaque directory in more than one way at once (an xattr, a
	// marker file, a 0/0 device that converts to the same name), and a
	// layer must not name a path twice (c/storage refuses it).
	marked := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("failed to read a layer diff: %w", err)
		}
		if hdr.Typeflag == tar.TypeChar && hdr.Devmajor == 0 && hdr.Devminor == 0 {
			dir, name := path.Split(hdr.Name)
			hdr = &tar.Header{Typeflag: tar.TypeReg, Name: dir + ".wh." + name, Mode: 0o600,
				ModTime: hdr.ModTime, Format: hdr.Format}
		}
		if marked[path.Clean(hdr.Name)] {
			continue
		}
		if strings.HasPrefix(path.Base(hdr.Name), ".wh.") {
			marked[path.Clean(hdr.Name)] = true
		}
		opaque := hdr.Typeflag == tar.TypeDir && (takeOpaque(hdr) || opaqueOnDisk(upperDir, hdr.Name))
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("failed to write a layer diff: %w", err)
		}
		if opaque {
			opq := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(hdr.Name, ".wh..wh..opq"), Mode: 0o600,
				ModTime: hdr.ModTime, Format: hdr.Format}
			if err := tw.WriteHeader(opq); err != nil {
				return fmt.Errorf("failed to write a layer diff: %w", err)
			}
			marked[path.Clean(opq.Name)] = true
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("failed to copy a layer diff: %w", err)
		}
	}
}

// takeOpaque removes an overlay "opaque directory" xattr (kernel overlay's
// trusted. or user. one, or fuse-overlayfs's) from hdr and reports whether
// it was set: the directory then hides the lower layers' content.
func takeOpaque(hdr *tar.Header) bool {
	opaque := false
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if ok && isOpaqueXattr(name) {
			opaque = opaque || v == "y"
			delete(hdr.PAXRecords, k)
		}
	}
	for k, v := range hdr.Xattrs { //nolint:staticcheck // older writers fill Xattrs
		if isOpaqueXattr(k) {
			opaque = opaque || v == "y"
			delete(hdr.Xattrs, k) //nolint:staticcheck
		}
	}
	return opaque
}

func isOpaqueXattr(name string) bool {
	return strings.HasSuffix(name, "overlay.opaque") || name == "user.fuseoverlayfs.opaque"
}

// opaqueOnDisk reads the opaque marks fuse-overlayfs keeps in xattrs of
// the upper directory, which the diff's tar headers do not carry.
func opaqueOnDisk(upperDir, name string) bool {
	if upperDir == "" {
		return false
	}
	p := filepath.Join(upperDir, name)
	for _, x := range []string{"user.fuseoverlayfs.opaque", "trusted.overlay.opaque", "user.overlay.opaque"} {
		buf := make([]byte, 4)
		if n, err := unix.Lgetxattr(p, x, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	if _, err := os.Lstat(filepath.Join(p, ".wh..wh..opq")); err == nil {
		return true
	}
	return false
}
