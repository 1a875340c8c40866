package session

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rrun-project/rrun/test/testproc"
)

// A session dir an rrun was killed in the middle of making (.new-ID, its
// lock file not yet named, or none yet) is removed by the next command at
// once, not a minute later; one being made now is left alone.
func TestAbandonedNewSessionDirsGoAtOnce(t *testing.T) {
	sessions := filepath.Join(t.TempDir(), "sessions")
	empty := filepath.Join(sessions, ".new-killed-after-mkdir")
	pending := filepath.Join(sessions, ".new-killed-before-rename")
	for _, d := range []string{empty, pending} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pending, ownerLock+".new"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	removeStaleSessions(sessions)
	for _, d := range []string{empty, pending} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is left after the next command (%v)", filepath.Base(d), err)
		}
	}

	unlock, err := lockMaking(sessions) // as a newStateDir at work
	if err != nil {
		t.Fatal(err)
	}
	making := filepath.Join(sessions, ".new-being-made")
	if err := os.Mkdir(making, 0o700); err != nil {
		t.Fatal(err)
	}
	removeStaleSessions(sessions)
	if _, err := os.Stat(making); err != nil {
		t.Errorf("the dir of a session being made was removed: %v", err)
	}
	unlock()
}

// Sessions made while other commands sweep are never taken for abandoned.
func TestNewStateDirWhileSweeping(t *testing.T) {
	run := t.TempDir()
	sessions := filepath.Join(run, "sessions")
	if err := os.MkdirAll(sessions, 0o700); err != nil {
		t.Fatal(err)
	}
	defer testproc.Repeat(func() { removeStaleSessions(sessions) })()
	held := len(heldLocks)
	defer func() {
		for _, f := range heldLocks[held:] {
			f.Close()
		}
		heldLocks = heldLocks[:held]
	}()
	for i := 0; i < 100; i++ {
		dir, _, err := newStateDir(run)
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(dir, ownerLock)); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
}

// After StopHolder (rrun system migrate) no socket of the old holder's
// pre-started processes is left: they remove theirs a moment after the
// holder is gone, and a killed one's is removed.
func TestStopHolderWaitsForThePool(t *testing.T) {
	run := t.TempDir()
	pool := filepath.Join(run, "prefork")
	if err := os.MkdirAll(pool, 0o700); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(pool, fmt.Sprintf("%d-0000abcd.sock", dead.Process.Pid))
	exiting := filepath.Join(pool, fmt.Sprintf("%d-0000abcd.sock", os.Getpid()))
	for _, p := range []string{killed, exiting} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		time.Sleep(200 * time.Millisecond) // the pool process reads EOF
		os.Remove(exiting)
	}()
	StopHolder(run)
	for _, p := range []string{killed, exiting} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left after StopHolder (%v)", filepath.Base(p), err)
		}
	}
}

// The state dir of a spare network whose pre-started rrun was killed goes
// like a killed session's, but is not counted as one: a command that
// finds it has no killed session's plugins to clean up after.
func TestStaleSpareNetworkIsNoKilledSession(t *testing.T) {
	sessions := filepath.Join(t.TempDir(), "sessions")
	spareDir, killed := filepath.Join(sessions, "spare1"), filepath.Join(sessions, "killed1")
	for _, d := range []string{spareDir, killed} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, ownerLock), nil, 0o600); err != nil { // nobody holds it
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(spareDir, SpareNetFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := removeStaleSessions(sessions); n != 1 {
		t.Errorf("counted %d killed sessions, want 1 (the spare network's dir is none)", n)
	}
	for _, d := range []string{spareDir, killed} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is left (%v)", filepath.Base(d), err)
		}
	}
}
