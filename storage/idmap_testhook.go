package storage

import (
	"os"
	"time"
)

// copyPauseEnv names a file (a test hook): while it exists, a mapped layer
// copy stops after its first entry, having made FILE.paused, so that the
// tests can show what a copy in progress does not block, and what an rmi
// in the middle of one leaves. It waits at most copyPauseLimit.
const copyPauseEnv = "_RRUN_TEST_IDMAP_COPY_PAUSE"

const copyPauseLimit = 10 * time.Minute

// pauseCopyForTest is the copyPauseEnv hook; without it set it does
// nothing.
func pauseCopyForTest() {
	release := os.Getenv(copyPauseEnv)
	if release == "" || !exists(release) {
		return
	}
	_ = os.WriteFile(release+".paused", nil, 0o600) // the test waits for it: without it, it fails on its own
	for deadline := time.Now().Add(copyPauseLimit); exists(release) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}
