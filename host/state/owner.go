package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
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

// AnswerTo writes into the lock file the process pid whose death ends
// this owner: a pre-started rrun serving a foreground run kills itself
// when its client dies, a few ms later. A reader that finds the lock held
// but that process gone waits those ms for the lock instead of calling
// the container running (ownerAlive).
func (o *Owner) AnswerTo(pid int) error {
	start, ns := proc.Start(pid), proc.PidNS(pid)
	if start == 0 || ns == 0 {
		return fmt.Errorf("process %d is gone", pid)
	}
	line := fmt.Sprintf("%s %d %d %d\n", answersToWord, pid, start, ns)
	if err := o.f.Truncate(0); err != nil {
		return err
	}
	_, err := o.f.WriteAt([]byte(line), 0)
	return err
}

// answersToWord begins the line AnswerTo writes.
const answersToWord = "client"

// ownerEndingWait bounds the wait for the lock of an owner whose client
// is gone: it ends in ms; one that does not is treated as alive.
const ownerEndingWait = 3 * time.Second

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
	_ = f.Truncate(0) // an earlier owner's AnswerTo is not this one's
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
	if !locked(f) {
		return false
	}
	if !clientGone(f) {
		return true
	}
	for deadline := time.Now().Add(ownerEndingWait); time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
		if !locked(f) {
			return false
		}
	}
	return true
}

// removalWait bounds the wait for a --rm container that its owner removes
// after the exit code went out (Record.Removing): a few ms, longer on a
// loaded machine; one still held after it is treated as alive.
const removalWait = 10 * time.Second

// ownerHeld reports whether a process holds dir's owner lock, without
// waiting for one whose client is gone.
func ownerHeld(dir string) bool {
	f, err := os.Open(filepath.Join(dir, ownerLockName))
	if err != nil {
		return false
	}
	defer f.Close()
	return locked(f)
}

// awaitOwner waits until nobody holds dir's owner lock, at most d, and
// reports whether that came. It blocks on a read lock of its own (no
// polling: each wake-up of a sleeping poller cost ~1 ms of CPU here),
// dropped at once; one still waiting at d is left to the process's end.
func awaitOwner(dir string, d time.Duration) bool {
	f, err := os.Open(filepath.Join(dir, ownerLockName))
	if err != nil {
		return true
	}
	if !locked(f) {
		f.Close()
		return true
	}
	free := make(chan struct{})
	go func() {
		defer f.Close() // drops the read lock
		lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: 0}
		for unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLKW, &lk) == unix.EINTR {
		}
		close(free)
	}()
	select {
	case <-free:
		return true
	case <-time.After(d):
		return false
	}
}

// locked tests f's owner lock without taking it.
func locked(f *os.File) bool {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return true // cannot tell: never treat a live container as dead
	}
	return lk.Type != unix.F_UNLCK
}

// clientGone reports whether the lock file names (AnswerTo) a process of
// this process's pid namespace that is gone; false when it names none, or
// one this process cannot see.
func clientGone(f *os.File) bool {
	var buf [96]byte
	n, _ := f.ReadAt(buf[:], 0)
	var word string
	var pid int
	var start, ns uint64
	if k, _ := fmt.Sscanf(string(buf[:n]), "%s %d %d %d", &word, &pid, &start, &ns); k != 4 || word != answersToWord {
		return false
	}
	return ns == proc.PidNS(os.Getpid()) && proc.Start(pid) != start
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
