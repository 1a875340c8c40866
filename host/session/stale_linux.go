package session

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/network"
)

// RemoveStale deletes the state dirs of sessions whose rrun was killed
// under runDir, kills the pasta each one leaves (see removeStaleSessions)
// and returns how many it found: the plugins of such a session were
// killed too, maybe half way through a write.
func RemoveStale(runDir string) int {
	return removeStaleSessions(filepath.Join(runDir, "sessions"))
}

// removeStaleSessions deletes the state of sessions whose rrun was killed,
// and of spare networks whose pre-started rrun was; it counts the former.
// A live session's rrun holds the flock of its ownerLock (taken before the
// dir got its name, see newStateDir); a dir without one (an older rrun)
// counts as live while rootlesskit's lock is held or the dir is young.
func removeStaleSessions(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	var making []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			making = append(making, p)
			continue
		}
		if !sessionStale(p) {
			continue
		}
		_, err := os.Stat(filepath.Join(p, SpareNetFile))
		spareNet := err == nil // a spare network's (network_linux.go): no killed session
		network.KillPasta(filepath.Join(p, network.PastaPIDFile))
		_ = os.RemoveAll(p)
		if !spareNet {
			n++
		}
	}
	if len(making) > 0 {
		removeAbandonedNew(dir, making)
	}
	return n
}

// sessionStale reports whether nobody holds the session dir p.
func sessionStale(p string) bool {
	if f, err := os.Open(filepath.Join(p, ownerLock)); err == nil {
		defer f.Close()
		return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil // closed with f
	}
	st, err := os.Stat(filepath.Join(p, parent.StateFileLock))
	if err != nil || time.Since(st.ModTime()) < 10*time.Second {
		return false
	}
	lk, err := parent.LockStateDir(p)
	if err != nil {
		return false // alive
	}
	_ = lk.Unlock()
	return true
}

// removeAbandonedNew removes the dirs (paths, in sessions) that
// newStateDir was killed in the middle of making: they hold no pasta yet.
// Every rrun making one holds a shared flock of the sessions dir from
// before its mkdir until the rename (lockMaking): when this process can
// take it exclusively, nobody is making one, and every such dir is
// abandoned, however young (before, a dir killed before its lock file was
// named stayed for a minute, and a killed `rrun load` left it for the next
// command to find). Otherwise only the dirs whose lock is free, or that are
// a minute old, go; the next command removes the others.
func removeAbandonedNew(sessions string, paths []string) {
	if d, err := os.Open(sessions); err == nil {
		defer d.Close()
		if unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil { // released with d
			for _, p := range paths {
				_ = os.RemoveAll(p)
			}
			return
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(p, ownerLock)); err == nil && sessionStale(p) {
			_ = os.RemoveAll(p) // its rrun took the lock and was killed before the rename
		} else if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Minute {
			_ = os.RemoveAll(p)
		}
	}
}

// lockMaking takes the shared flock of the sessions dir that tells
// removeAbandonedNew a session dir is being made; the returned func drops
// it. It waits while a sweep holds the lock exclusively (a few removals).
func lockMaking(sessions string) (func(), error) {
	d, err := os.Open(sessions)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", sessions, err)
	}
	for {
		err = unix.Flock(int(d.Fd()), unix.LOCK_SH)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("failed to lock %s: %w", sessions, err)
	}
	return func() { d.Close() }, nil
}
