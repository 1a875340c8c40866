// Package atomicfile replaces small files that other processes read
// without a lock (a container's record, its network plan), so that a
// reader sees one whole version, without making and deleting an inode per
// write.
//
// The usual way, writing PATH.tmp and renaming it over PATH, frees the old
// inode and takes a new one on every write. On a journal-less ext4 (this
// kind of VM) every inode deleted is skipped by the next allocations of
// its block group for a minute or more, each skip a lookup of the inode's
// table block: back-to-back runs that churn a dozen inodes each made
// every later file creation slower (docs/internal.md, session 16).
// Replace instead exchanges PATH.tmp and PATH (renameat2
// RENAME_EXCHANGE): PATH.tmp keeps the previous version's inode for the
// next write. A reader that opened PATH before an exchange may meet the
// next write truncating and rewriting that inode; Read decodes and reads
// again when the decoding fails.
package atomicfile

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Replace makes data the content of path: a reader opening path sees the
// old content or the new one, whole. The previous version stays in
// path+".tmp".
func Replace(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	// No path yet (the first write), or a filesystem without exchange.
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return os.Rename(tmp, path)
	}
	return &os.LinkError{Op: "renameat2", Old: tmp, New: path, Err: err}
}

// readAttempts bounds Read's tries: a read that decodes badly was of an
// inode being rewritten, and the next open of path finds a whole version.
const readAttempts = 5

// Read reads path and passes its content to decode, reading again, 1 ms
// apart, while decode fails; it returns the last error.
func Read(path string, decode func([]byte) error) error {
	for attempt := 1; ; attempt++ {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err = decode(b); err == nil || attempt == readAttempts {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}
