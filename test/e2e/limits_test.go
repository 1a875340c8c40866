package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runNofile runs rrun as a shell after `ulimit -Sn SOFT -Hn HARD` would:
// under prlimit, with RRUN_TRACE on so the caller can tell the warm path.
func (e *env) runNofile(limit string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command("prlimit", append([]string{"--nofile=" + limit, "--", rrunBin}, args...)...)
	cmd.Env = append(append([]string(nil), e.vars...), "RRUN_TRACE=1")
	cmd.WaitDelay = 10 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("prlimit rrun %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// A container gets the resource limits of the command that starts it, not
// those of whichever command started the warm plugins and pre-started rrun
// it uses: a shell's lowered hard limit binds its containers (Slurm passes
// a job's limits to its steps the same way), and a shell with higher
// limits is not held to another shell's lower ones.
func TestContainerGetsTheCallersLimits(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Fatalf("prlimit (util-linux) is missing: %v", err)
	}
	e := withBusybox(t)
	show := []string{"run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo $(ulimit -Sn)/$(ulimit -Hn)"}
	for i, limit := range []string{"1024:4096", "512:2048", "1024:4096", "512:2048"} {
		r := e.runNofile(limit, show...)
		want := strings.Replace(limit, ":", "/", 1)
		if r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Fatalf("run %d under nofile %s: want %s: %s", i, limit, want, r)
		}
		if i > 0 && !warmTrace(r.stderr) {
			t.Fatalf("run %d under nofile %s did not use the session holder: %s", i, limit, r)
		}
	}
	// A detached container (its monitor, rrun-monitor, its restarts) too.
	r := e.runNofile("300:600", "run", "-d", "--network", "none", "busybox", "sh", "-c", "echo $(ulimit -Sn)/$(ulimit -Hn); sleep 600")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(id) != 64 {
		t.Fatalf("run -d under nofile 300:600: %s", r)
	}
	t.Cleanup(func() { e.run("", "rm", "-f", id) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := e.ok("logs", id).stdout
		if strings.TrimSpace(logs) == "300/600" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a detached container started under nofile 300:600 logged %q", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
