package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// attach shows a running container's output from now on and exits with
// its status.
func TestCLIAttach(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after; exit 5")
	e.waitLog(id, "before")
	cmd := exec.Command(rrunBin, "attach", id)
	cmd.Env = e.vars
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitOpened(t, cmd.Process.Pid, "container.log")
	e.ok("exec", id, "touch", "/tmp/go")
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 5 || strings.TrimSpace(out.String()) != "after" {
		t.Fatalf("attach: exit %d, output %q", code, out.String())
	}
	if r := e.run("", "attach", id); r.code != 125 || !strings.Contains(r.stderr, "start it first") {
		t.Errorf("attach to a stopped container: %s", r)
	}
}

// waitOpened waits until process pid has a file named name open.
func waitOpened(t *testing.T, pid int, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); strings.HasSuffix(l, name) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d never opened %s", pid, name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
