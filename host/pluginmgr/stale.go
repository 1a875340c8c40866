package pluginmgr

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/host/lockfile"
)

// ownerLockName is the file in a plugin's socket directory whose flock
// the launching rrun holds for as long as it uses the plugin: free, the
// directory is stale whatever its age.
const ownerLockName = "owner.lock"

// lockSocketDir takes the owner lock of a plugin's socket directory; the
// returned file keeps it (nil when the lock could not be taken: the
// directory is then judged by its sockets alone). The lock file gets its
// name only once it is locked (as the session dirs' rrun.lock): a sweep
// (socketDirStale, in this or another rrun) that found owner.lock created
// but not yet locked took the starting plugin's dir for stale and removed
// it under the plugin ("open .../plugin-dirN/pluginM: no such file or
// directory" before the handshake), and a sweep's own test of the lock
// made this non-blocking lock fail, leaving a free owner.lock that every
// later sweep took for a dead plugin.
func lockSocketDir(dir string) *os.File {
	f, err := lockfile.Hold(dir, ownerLockName)
	if err != nil {
		return nil // the dir is judged by its sockets
	}
	return f
}

// ownerGone reports whether dir has an owner lock that nobody holds
// (known: false when there is no lock file to judge by).
func ownerGone(dir string) (gone, known bool) {
	f, err := os.Open(filepath.Join(dir, ownerLockName))
	if err != nil {
		return false, false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil, true
}

// RemoveStaleBrokerSockets removes the pull-broker sockets
// (runDir/pull-PID.sock) of killed commands: nothing listens on them.
func RemoveStaleBrokerSockets(runDir string) {
	matches, _ := filepath.Glob(filepath.Join(runDir, "pull-*.sock"))
	for _, p := range matches {
		if !listening(p) {
			_ = os.Remove(p)
		}
	}
}

// RemoveStaleSockets removes the socket directories that plugins killed
// with SIGKILL left in runDir/plugins (a plugin that exits cleanly has its
// directory removed by the Manager). A directory is stale when no socket
// in it has a listener, or when it is older than a minute and still holds
// no socket (its plugin died before it listened). It returns how many it
// removed.
func RemoveStaleSockets(runDir string) int {
	parent := filepath.Join(runDir, "plugins")
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), "plugin-dir") && socketDirStale(dir) {
			if os.RemoveAll(dir) == nil {
				n++
			}
		}
	}
	return n
}

// socketDirStale reports whether the rrun that launched dir's plugin is
// gone (its owner lock is free) or, for a directory without one, whether
// nothing listens on any socket in it.
func socketDirStale(dir string) bool {
	if gone, known := ownerGone(dir); known {
		return gone
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	sockets := 0
	for _, e := range entries {
		if e.Type()&os.ModeSocket == 0 {
			continue
		}
		sockets++
		// A socket is bound a moment before its plugin listens: a young
		// one that refuses may be a plugin starting up.
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) < 10*time.Second {
			return false
		}
		if listening(filepath.Join(dir, e.Name())) {
			return false
		}
	}
	if sockets > 0 {
		return true
	}
	st, err := os.Stat(dir)
	return err == nil && time.Since(st.ModTime()) > time.Minute
}

// listening dials the unix socket p: only a refused connection (no
// listener, its plugin is gone) counts as not listening.
func listening(p string) bool {
	c, err := net.DialTimeout("unix", p, time.Second)
	if err == nil {
		c.Close()
		return true
	}
	return !errors.Is(err, syscall.ECONNREFUSED)
}
