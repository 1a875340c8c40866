package session

import (
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

// removeStaleSessions deletes the state of sessions whose rrun was killed.
// A live session's rrun holds the flock of its ownerLock (taken before the
// dir got its name, see newStateDir); a dir without one (an older rrun)
// counts as live while rootlesskit's lock is held or the dir is young.
func removeStaleSessions(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			removeAbandonedNew(p)
			continue
		}
		if !sessionStale(p) {
			continue
		}
		network.KillPasta(filepath.Join(p, network.PastaPIDFile))
		_ = os.RemoveAll(p)
		n++
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

// removeAbandonedNew removes a dir newStateDir was killed in the middle of
// making (it holds no pasta yet).
func removeAbandonedNew(p string) {
	if _, err := os.Stat(filepath.Join(p, ownerLock)); err == nil && sessionStale(p) {
		_ = os.RemoveAll(p) // its rrun took the lock and was killed before the rename
		return
	}
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Minute {
		_ = os.RemoveAll(p)
	}
}
