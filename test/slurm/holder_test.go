package slurm

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A step that runs longer than the session holder's idle timeout keeps
// each node's holder (and with it the pre-started rrun that serves the
// node's next step) up while it runs: without that, every step after a
// long one would start the node's session again.
func TestSlurmLongStepKeepsTheNodesHolder(t *testing.T) {
	requireCluster(t)
	loadBusybox(t)
	for _, n := range []string{"n1", "n2"} {
		if pid := holderPid(n); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL) // this step starts the holders, with the short timeout below
		}
	}
	t.Setenv("RRUN_SESSION_IDLE_TIMEOUT", "3s")
	h := startHeld(t, "srun", "-N2", "-n2", "--container-image=busybox", "sleep", "600")
	holders := map[string]int{}
	for _, n := range []string{"n1", "n2"} {
		if holders[n] = holderPid(n); holders[n] <= 0 {
			t.Fatalf("no session holder on %s while its step runs", n)
		}
	}
	time.Sleep(12 * time.Second) // four idle timeouts of the holders
	for n, pid := range holders {
		if !running(pid) {
			t.Errorf("node %s's session holder (pid %d) went idle while the node's step ran", n, pid)
		}
	}
	ok(t, "scancel", h.job)
	waitNoContainers(t, h.job)
}

// holderPid is the pid the session holder record of this user on node
// names, or 0 when it has none running.
func holderPid(node string) int {
	data, err := os.ReadFile(filepath.Join(nodeDir(node), "run", "rrun", "holder"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	if !running(pid) {
		return 0
	}
	return pid
}

// running reports whether pid is a live process (not a zombie: this
// machine's pid 1 may leave them).
func running(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil || pid <= 0 {
		return false
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}
