package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A process is named by its pid and start time while it runs; a zombie
// (exited, not reaped) is no longer running, though its stat still holds
// its start time; a reaped one is gone.
func TestStartNamesARunningProcessOnly(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	live := Start(pid)
	s, ok := Read(pid)
	if !ok || s.PPid != os.Getpid() || !s.Live() || live == 0 || s.Start != live {
		t.Fatalf("running child: stat %+v, %v, start %d; want parent %d", s, ok, live, os.Getpid())
	}
	if ns := PidNS(pid); ns == 0 || ns != PidNS(os.Getpid()) {
		t.Fatalf("running child: pid namespace %d, this process's %d", ns, PidNS(os.Getpid()))
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for Start(pid) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed child never became a zombie")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s, ok := Read(pid); !ok || s.Live() || s.Start != live {
		t.Fatalf("zombie: stat %+v, %v; want not live, start %d", s, ok, live)
	}
	_ = cmd.Wait()
	if Start(pid) == live {
		t.Fatal("a reaped child still has its start time")
	}
}
