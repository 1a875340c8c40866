package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tracemeSource is a container command that makes itself its parent's
// tracee (PTRACE_TRACEME) and sleeps: every signal it receives stops it
// until its tracer (the isolation plugin, which never asked for it)
// continues it. Only SIGKILL gets past a ptrace stop.
const tracemeSource = `#include <stdio.h>
#include <sys/ptrace.h>
#include <unistd.h>
int main(void) {
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) { perror("ptrace"); return 1; }
	puts("traced");
	fflush(stdout);
	for (;;) pause();
}
`

// buildTraceme compiles tracemeSource statically (the busybox image has
// no libc) and returns the binary's path.
func buildTraceme(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "traceme.c"), filepath.Join(dir, "traceme")
	if err := os.WriteFile(src, []byte(tracemeSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -static (gcc and libc6-dev are test dependencies, see test/setup-host.sh): %v\n%s", err, out)
	}
	return bin
}

// runWithin runs rrun and fails the test if it has not exited after limit:
// the bugs this guards against make rrun hang, not fail.
func (e *env) runWithin(limit time.Duration, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(rrunBin, args...)
	cmd.Env = e.vars
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start rrun %v: %v", args, err)
	}
	return e.waitWithin(cmd, limit, &out, &errb)
}

// waitWithin waits for cmd (started in its own process group) at most limit.
func (e *env) waitWithin(cmd *exec.Cmd, limit time.Duration, out, errb *bytes.Buffer) result {
	e.t.Helper()
	timer := time.AfterFunc(limit, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	if !timer.Stop() {
		e.t.Fatalf("rrun %s still ran after %v: killed", strings.Join(cmd.Args[1:], " "), limit)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("rrun %v: %v", cmd.Args[1:], err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// procsNamed lists this user's processes whose command line is exactly cmd.
func procsNamed(cmd string) []int {
	var out []int
	for _, pid := range pids() {
		if strings.TrimSpace(cmdline(pid)) == cmd && ownerOf(pid) == os.Getuid() && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// awaitGone waits until no process of this user has a command line that
// starts with prefix, and fails the test if one is left after 20 s.
func awaitGone(t *testing.T, prefix, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var left []string
		for _, pid := range pids() {
			if c := cmdline(pid); strings.HasPrefix(c, prefix) && ownerOf(pid) == os.Getuid() && !isZombie(pid) {
				left = append(left, c)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still runs: %q", what, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopInTracer sends the container a signal it has no handler for: its
// init stops in its tracer's hands (a ptrace stop), and stays alive.
func stopInTracer(t *testing.T, e *env, ref string) {
	t.Helper()
	if r := e.runWithin(hang, "kill", "-s", "USR1", ref); r.code != 0 {
		t.Fatalf("kill -s USR1: %s", r)
	}
}

const hang = 60 * time.Second // far beyond any stop timeout used here

func TestSelfTracingContainerStopKillAndRm(t *testing.T) {
	e := withBusybox(t)
	bin := buildTraceme(t)
	traced := func(name string) string { // a detached, self-tracing container
		id := e.detached("-v", bin+":/"+name+":ro", "busybox", "/"+name)
		e.waitLog(id, "traced")
		return id
	}
	t.Run("stop", func(t *testing.T) {
		id := traced("traced-stop")
		if r := e.runWithin(hang, "stop", "-t", "2", id); r.code != 0 {
			t.Fatalf("stop: %s", r)
		}
		if code := strings.TrimSpace(e.runWithin(hang, "wait", id).stdout); code != "137" {
			t.Fatalf("a container that ignores the stop signal is killed after the timeout: want 137, got %q", code)
		}
		if left := procsNamed("/traced-stop"); len(left) > 0 {
			t.Fatalf("stop returned, but the container's init %v still runs", left)
		}
	})
	t.Run("kill", func(t *testing.T) {
		id := traced("traced-kill")
		stopInTracer(t, e, id)
		if r := e.runWithin(hang, "kill", id); r.code != 0 {
			t.Fatalf("kill: %s", r)
		}
		if code := strings.TrimSpace(e.runWithin(hang, "wait", id).stdout); code != "137" {
			t.Fatalf("kill (SIGKILL): want 137, got %q", code)
		}
		if in := e.inspect(id); in.State.Status != "exited" || in.State.Running {
			t.Fatalf("inspect after kill: %+v", in.State)
		}
	})
	t.Run("rm -f", func(t *testing.T) {
		id := traced("traced-rm")
		stopInTracer(t, e, id)
		if r := e.runWithin(hang, "rm", "-f", id); r.code != 0 {
			t.Fatalf("rm -f: %s", r)
		}
		if left := procsNamed("/traced-rm"); len(left) > 0 {
			t.Fatalf("rm -f dropped the record while the container's init %v still runs", left)
		}
		awaitGone(t, rrunBin+" --log-level warn __monitor "+id, "the monitor of a removed container")
		if ps := e.ok("ps", "-a", "-q").stdout; strings.Contains(ps, id[:12]) {
			t.Fatalf("rm -f left the record: %q", ps)
		}
	})
	t.Run("foreground run", func(t *testing.T) {
		cmd := exec.Command(rrunBin, "run", "--name", "traced-fg", "-v", bin+":/traced-fg:ro", "busybox", "/traced-fg")
		cmd.Env = e.vars
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); len(procsNamed("/traced-fg")) == 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("the container never started: %s", errb.String())
			}
		}
		stopInTracer(t, e, "traced-fg")
		if r := e.runWithin(hang, "kill", "traced-fg"); r.code != 0 {
			t.Fatalf("kill: %s", r)
		}
		if r := e.waitWithin(cmd, hang, &out, &errb); r.code != 137 {
			t.Fatalf("a foreground run of a killed container exits 137: %s", r)
		}
	})
}
