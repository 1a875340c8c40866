package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// ownerLockName is the file in a container's dir whose lock says that a
// live process answers for the container (the `run` or `start` that
// starts it, then its monitor outside the session). It is an open file
// description lock: it goes with the process when that is killed, and a
// child that inherits the descriptor holds it too.
const ownerLockName = "owner.lock"

// Owner holds a container's owner lock until the process exits or
// Release is called.
type Owner struct{ f *os.File }

// File is the locked descriptor, to hand to a child process (the detached
// monitor) that keeps the lock once this process exits.
func (o *Owner) File() *os.File { return o.f }

// Release drops the lock.
func (o *Owner) Release() {
	if o != nil && o.f != nil {
		o.f.Close()
	}
}

// AdoptOwner keeps the owner lock a parent passed as fd, and stops it from
// leaking into this process's own children.
func AdoptOwner(fd int) *Owner {
	unix.CloseOnExec(fd)
	return &Owner{f: os.NewFile(uintptr(fd), ownerLockName)}
}

// lockOwner opens dir's owner lock and takes it without waiting;
// ErrFailedPrecondition when a live process holds it.
func lockOwner(dir string) (*Owner, error) {
	f, err := os.OpenFile(filepath.Join(dir, ownerLockName), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open the owner lock of %s: %w", filepath.Base(dir), err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		f.Close()
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
			return nil, api.Errorf(api.ErrFailedPrecondition, "", "container %s is being started or run by another rrun", shortID(filepath.Base(dir)))
		}
		return nil, fmt.Errorf("failed to lock %s: %w", f.Name(), err)
	}
	return &Owner{f: f}, nil
}

// OwnerAlive reports whether a live process answers for container id (its
// monitor, from start to the record of its exit, including the moments a
// detached container's monitor execs between rrun and rrun-monitor).
func (s *Store) OwnerAlive(id string) bool { return ownerAlive(s.Dir(id)) }

// ownerAlive reports whether a process holds dir's owner lock. It tests
// the lock without taking it (F_OFD_GETLK), so it never makes a starting
// rrun fail to take it.
func ownerAlive(dir string) bool {
	f, err := os.Open(filepath.Join(dir, ownerLockName))
	if err != nil {
		return false
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return true // cannot tell: never treat a live container as dead
	}
	return lk.Type != unix.F_UNLCK
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
