// Package lockfile takes flock-held owner locks whose files get their
// name only once they are locked, so that whoever finds the named file
// unlocked knows its owner is gone (and never tests, and so briefly
// holds, a lock its owner is about to take).
package lockfile

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Hold creates dir/name.new, locks it (exclusive, without waiting) and
// renames it to dir/name. The returned file keeps the lock; close it, or
// exit, to let go. On error nothing is left behind.
func Hold(dir, name string) (*os.File, error) {
	pending := filepath.Join(dir, name+".new")
	f, err := os.OpenFile(pending, os.O_CREATE|os.O_EXCL|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	// Nobody else opens the pending name: this lock cannot be refused
	// but by the kernel.
	if err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == nil {
		err = os.Rename(pending, filepath.Join(dir, name))
	}
	if err != nil {
		f.Close()
		_ = os.Remove(pending)
		return nil, err
	}
	return f, nil
}
