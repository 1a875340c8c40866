package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A warm plugin whose idle timeout passes while a command is attaching to
// it (holding its dir's lock, as Acquire does until its connection is up)
// stays up for that command; once the lock is free it exits idle. Commands
// no longer ask a reattached plugin for its Info, so nothing else would
// catch a plugin exiting under an attaching command.
func TestWarmPluginIdleExitWaitsForAttachingCommand(t *testing.T) {
	e := withBusybox(t)
	e.vars = append(e.vars, "RRUN_SESSION_IDLE_TIMEOUT=1s")
	e.warmRun("true")
	dirs, _ := filepath.Glob(filepath.Join(e.home, "run", "rrun", "plugins", "warm", "*-i-native"))
	pid := e.warmPIDOf("-i-native")
	if len(dirs) != 1 || pid == 0 {
		t.Fatalf("want one warm isolation plugin, got dirs %v, pid %d", dirs, pid)
	}
	f, err := os.OpenFile(filepath.Join(dirs[0], "lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // three idle timeouts
	if ownerOf(pid) != os.Getuid() || isZombie(pid) {
		t.Fatalf("the warm plugin (pid %d) exited while a command held its lock", pid)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ownerOf(pid) == os.Getuid() && !isZombie(pid) {
		time.Sleep(100 * time.Millisecond)
	}
	if ownerOf(pid) == os.Getuid() && !isZombie(pid) {
		t.Fatalf("the warm plugin (pid %d) did not exit idle once the lock was free", pid)
	}
	if r, _ := e.warmRun("echo", "again"); r.stdout != "again\n" {
		t.Fatalf("the run after the idle exit: %s", r)
	}
}
