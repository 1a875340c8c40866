package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A container's init that exited before its monitor recorded it is a
// zombie: its start time must still be readable, or the record names the
// container's pid namespace by its (reused) inode alone.
func TestExitedStartAnswersForAZombie(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	live := Start(pid)
	if s, ok := Read(pid); !ok || s.PPid != os.Getpid() {
		t.Fatalf("running child: stat %+v, %v; want parent %d", s, ok, os.Getpid())
	}
	if live == 0 || ExitedStart(pid) != live {
		t.Fatalf("running child: ProcessStart %d, ExitedStart %d", live, ExitedStart(pid))
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for Start(pid) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed child never became a zombie")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := ExitedStart(pid); got != live {
		t.Fatalf("zombie: ExitedStart %d, want its start %d", got, live)
	}
	_ = cmd.Wait()
	if ExitedStart(pid) == live {
		t.Fatal("a reaped child still has its start time")
	}
}
