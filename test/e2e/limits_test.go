package e2e

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runNofile runs rrun as a shell after `ulimit -Sn SOFT -Hn HARD` would:
// under prlimit, with RRUN_TRACE on so the caller can tell the warm path.
func (e *env) runNofile(limit string, args ...string) result {
	e.t.Helper()
	return e.runPrefixed([]string{"prlimit", "--nofile=" + limit, "--"}, args...)
}

// runPrefixed runs rrun under the command prefix (nice, taskset, prlimit),
// with RRUN_TRACE on so the caller can tell the warm path.
func (e *env) runPrefixed(prefix []string, args ...string) result {
	e.t.Helper()
	saved := e.vars
	e.vars, e.prefix = append(append([]string(nil), e.vars...), "RRUN_TRACE=1"), prefix
	defer func() { e.vars, e.prefix = saved, nil }()
	return e.run("", args...)
}

// A container gets the resource limits (and the nice value and CPU
// affinity) of the command that starts it, not
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
	// The nice value and the CPU affinity too (nice, taskset), each after a
	// run without them warmed the plugins.
	stat := []string{"run", "--rm", "--network", "none", "busybox", "sh", "-c",
		"cut -d' ' -f19 /proc/self/stat; grep Cpus_allowed_list /proc/self/status | cut -f2"}
	plain := e.runPrefixed(nil, stat...)
	if plain.code != 0 || !strings.HasPrefix(plain.stdout, "0\n") {
		t.Fatalf("a plain run: %s", plain)
	}
	if r := e.runPrefixed([]string{"nice", "-n", "7"}, stat...); r.code != 0 || !strings.HasPrefix(r.stdout, "7\n") {
		t.Fatalf("a run under nice -n 7: %s", r)
	}
	if runtime.NumCPU() > 1 {
		if r := e.runPrefixed([]string{"taskset", "-c", "0"}, stat...); r.code != 0 || !strings.HasSuffix(r.stdout, "\n0\n") {
			t.Fatalf("a run under taskset -c 0: %s", r)
		}
		if r := e.runPrefixed(nil, stat...); r.stdout != plain.stdout {
			t.Fatalf("a plain run after a taskset one: %s (before: %q)", r, plain.stdout)
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
