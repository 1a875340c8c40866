package session

import (
	"os"
	"path/filepath"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"

	"github.com/rrun-project/rrun/host/network"
)

// removeStaleSessions deletes the state of sessions whose rrun was killed
// (their rootlesskit lock is free). A live session holds its lock.
func removeStaleSessions(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		// A session that is starting has not locked its lock file yet:
		// leave young ones alone.
		st, err := os.Stat(filepath.Join(p, parent.StateFileLock))
		if err != nil || time.Since(st.ModTime()) < 10*time.Second {
			continue
		}
		lk, err := parent.LockStateDir(p)
		if err != nil {
			continue // alive
		}
		network.KillPasta(filepath.Join(p, network.PastaPIDFile))
		_ = os.RemoveAll(p)
		_ = lk.Unlock()
	}
}
