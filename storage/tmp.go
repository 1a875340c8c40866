package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Big temporary files of loads, pulls and imports live in one private dir
// per store process, <GraphRoot>/tmp/<random>, flocked for as long as the
// process lives. A process killed half way (kill -9 of rrun kills its
// session and this plugin with it) leaves its dir unlocked, and the next
// store process removes it when it opens the store (removeStaleTmp).
// tmp/.lock is held while a dir is made and locked, and while stale ones
// are removed, so a dir is never seen unlocked while its process lives.

const tmpLockName = ".lock"

// tmpRoot is where the per-process temporary dirs live.
func (s *Store) tmpRoot() string { return filepath.Join(s.opts.GraphRoot, "tmp") }

// withTmpLock runs fn holding tmp/.lock.
func (s *Store) withTmpLock(fn func() error) error {
	root := s.tmpRoot()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", root, err)
	}
	f, err := os.OpenFile(filepath.Join(root, tmpLockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open the lock of %s: %w", root, err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("failed to lock %s: %w", root, err)
	}
	return fn()
}

// privateTmp returns this process's temporary dir, making and locking it
// on first use. Call it with s.mu held.
func (s *Store) privateTmp() (string, error) {
	if s.tmp == nil {
		if err := s.withTmpLock(s.makeTmp); err != nil {
			return "", err
		}
	}
	return s.tmp.Name(), nil
}

// makeTmp makes and locks the private dir; under tmp/.lock.
func (s *Store) makeTmp() error {
	dir, err := os.MkdirTemp(s.tmpRoot(), "p-")
	if err != nil {
		return fmt.Errorf("failed to create a temporary dir in %s: %w", s.tmpRoot(), err)
	}
	f, err := os.Open(dir)
	if err == nil {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("failed to lock %s: %w", dir, err)
	}
	s.tmp = f
	return nil
}

// removeStaleTmp removes what killed store processes left in tmp: every
// entry but the lock that no live process holds.
func (s *Store) removeStaleTmp() {
	entries, err := os.ReadDir(s.tmpRoot())
	if err != nil || len(entries) <= 1 {
		return
	}
	_ = s.withTmpLock(func() error {
		for _, e := range entries {
			p := filepath.Join(s.tmpRoot(), e.Name())
			if e.Name() != tmpLockName && !lockedDir(p) {
				_ = os.RemoveAll(p) // best effort: the next open tries again
			}
		}
		return nil
	})
}

// lockedDir reports whether a live process holds p's flock.
func lockedDir(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil
}

// releaseTmp removes this process's temporary dir. Call it with s.mu held.
func (s *Store) releaseTmp() {
	if s.tmp == nil {
		return
	}
	_ = os.RemoveAll(s.tmp.Name()) // what a crash would leave is removed by the next open
	s.tmp.Close()
	s.tmp = nil
}
