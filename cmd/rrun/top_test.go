package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/state"
)

// startInPidNS starts sleep as pid 1 of a new pid namespace (in a user
// namespace of its own, as any user may) and returns its host pid.
func startInPidNS(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("unshare", "--user", "--pid", "--fork", "--kill-child", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children")
		if f := strings.Fields(string(data)); len(f) == 1 {
			pid, _ := strconv.Atoi(f[0])
			if nsPid1(f[0]) && proc.PidNS(pid) != proc.PidNS(os.Getpid()) {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("unshare did not start sleep in a pid namespace of its own")
	return 0
}

// hostPid finds a container's init whether the record names it by its host
// pid (a joined session) or by its pid in a session's own pid namespace (a
// cold one), and never takes a process that is not the recorded init.
func TestHostPidFindsTheRecordedInitOnly(t *testing.T) {
	pid := startInPidNS(t)
	r := state.Record{Pid: pid, PidNS: proc.PidNS(pid), PidStart: proc.Start(pid)}
	if got := hostPid(r); got != pid {
		t.Fatalf("joined record: hostPid %d, want %d", got, pid)
	}
	cold := r
	cold.Pid = 1 // the init's pid in a cold session's own pid namespace
	if got := hostPid(cold); got != pid {
		t.Fatalf("cold record: hostPid %d, want %d", got, pid)
	}
	other := r
	other.PidStart = r.PidStart - 1 // a namespace that reused the inode: another init
	if got := hostPid(other); got != 0 {
		t.Fatalf("record of another init: hostPid %d, want 0", got)
	}
	notInit := r
	notInit.Pid = os.Getpid() // a live process, but not in the namespace
	notInit.PidStart = proc.Start(os.Getpid())
	if got := hostPid(notInit); got != 0 {
		t.Fatalf("record naming a process outside the namespace: hostPid %d, want 0", got)
	}
}
