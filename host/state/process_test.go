package state

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A container's init that exited before its monitor recorded it is a
// zombie: its start time must still be readable, or the record names the
// container's pid namespace by its (reused) inode alone.
func TestExitedProcessStartAnswersForAZombie(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	live := ProcessStart(pid)
	if live == 0 || ExitedProcessStart(pid) != live {
		t.Fatalf("running child: ProcessStart %d, ExitedProcessStart %d", live, ExitedProcessStart(pid))
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for ProcessStart(pid) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed child never became a zombie")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := ExitedProcessStart(pid); got != live {
		t.Fatalf("zombie: ExitedProcessStart %d, want its start %d", got, live)
	}
	_ = cmd.Wait()
	if ExitedProcessStart(pid) == live {
		t.Fatal("a reaped child still has its start time")
	}
}
