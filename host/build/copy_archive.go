package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// extractArchive unpacks sp into directory dest when it is a tar archive
// (plain, gzip, bzip2, xz or zstd), as ADD does; ok is false for any other
// file, which ADD then copies as it is.
func (w *writer) extractArchive(sp, dest string) (ok bool, err error) {
	f, err := os.Open(sp)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r, err := decompress(bufio.NewReader(f))
	if err != nil {
		return false, nil
	}
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		return false, nil // not a tar archive: copy the file
	}
	if err := w.ensureDir(dest); err != nil {
		return true, err
	}
	for ; err == nil; hdr, err = tr.Next() {
		if err := w.extractEntry(tr, hdr, dest); err != nil {
			return true, fmt.Errorf("failed to extract %s from %s: %w", hdr.Name, path.Base(sp), err)
		}
	}
	if !errors.Is(err, io.EOF) {
		return true, fmt.Errorf("failed to read archive %s: %w", path.Base(sp), err)
	}
	return true, nil
}

// decompress sniffs a compression format by its magic number.
func decompress(br *bufio.Reader) (io.Reader, error) {
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return xz.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return br, nil
}

// extractEntry writes one archive entry under dest with its owner (or
// --chown's), mode and time.
func (w *writer) extractEntry(tr *tar.Reader, hdr *tar.Header, dest string) error {
	name := path.Clean("/" + hdr.Name)
	if name == "/" {
		return nil
	}
	dst := path.Join(dest, name)
	hp, err := w.mkParents(dst)
	if err != nil {
		return err
	}
	if err := w.createFromTar(tr, hdr, hp, dest); err != nil {
		return err
	}
	uid, gid := hdr.Uid, hdr.Gid
	if w.own.set {
		uid, gid = w.own.uid, w.own.gid
	}
	if err := os.Lchown(hp, uid, gid); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := os.Chmod(hp, hdr.FileInfo().Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
			return err
		}
	}
	if err := setTarXattrs(hp, hdr.PAXRecords); err != nil {
		return err
	}
	w.setTimes(hp, hdr.FileInfo())
	return nil
}

func (w *writer) createFromTar(tr *tar.Reader, hdr *tar.Header, hp, dest string) error {
	if hdr.Typeflag == tar.TypeDir {
		if fi, err := os.Lstat(hp); err == nil && fi.IsDir() {
			return nil
		}
		_ = os.Remove(hp)
		return os.Mkdir(hp, 0o755)
	}
	if fi, err := os.Lstat(hp); err == nil && !fi.IsDir() {
		_ = os.Remove(hp)
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		out, err := os.OpenFile(hp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	case tar.TypeSymlink:
		return os.Symlink(hdr.Linkname, hp)
	case tar.TypeLink:
		target, err := w.hostPath(path.Join(dest, path.Clean("/"+hdr.Linkname)))
		if err != nil {
			return err
		}
		return os.Link(target, hp)
	}
	return fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
}
