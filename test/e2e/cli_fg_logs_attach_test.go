package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLogsOfForegroundContainer: a foreground run keeps docker's
// json-file log too: its output reaches the caller and `logs` (with -t,
// --tail, --since, --until), stdout and stderr apart; with -t as well.
func TestLogsOfForegroundContainer(t *testing.T) {
	e := withBusybox(t)
	r := e.run("", "run", "--name", "fg", "busybox", "sh", "-c", "echo out; echo err >&2; sleep 1; printf later")
	if r.code != 0 || r.stdout != "out\nlater" || r.stderr != "err\n" {
		t.Fatalf("foreground run: want its output on the caller's stdout and stderr, got %s", r)
	}
	if l := e.ok("logs", "fg"); l.stdout != "out\nlater" || l.stderr != "err\n" {
		t.Errorf("logs of a foreground container: stdout %q stderr %q, want what the run printed", l.stdout, l.stderr)
	}
	stamped := strings.Split(strings.TrimSpace(e.ok("logs", "-t", "fg").stdout), "\n")
	if len(stamped) != 2 || !strings.HasSuffix(stamped[1], " later") {
		t.Fatalf("logs -t: %q", stamped)
	}
	firstAt, laterAt := strings.Fields(stamped[0])[0], strings.Fields(stamped[1])[0]
	if got := e.ok("logs", "--since", laterAt, "fg").stdout; got != "later" {
		t.Errorf("logs --since %s: %q", laterAt, got)
	}
	if got := e.ok("logs", "--until", firstAt, "fg").stdout; got != "out\n" {
		t.Errorf("logs --until %s: %q", firstAt, got)
	}
	if got := e.ok("logs", "--tail", "1", "fg").stdout; got != "later" {
		t.Errorf("logs --tail 1: %q", got)
	}
	if r := e.run("", "run", "-t", "--name", "fgt", "busybox", "echo", "on a tty"); r.code != 0 || !strings.Contains(r.stdout, "on a tty") {
		t.Fatalf("run -t: %s", r)
	}
	if got := e.ok("logs", "fgt").stdout; !strings.Contains(got, "on a tty") {
		t.Errorf("logs of a foreground -t container: %q", got)
	}
}

// TestAttachForwardsStdin: attach to a container run -d -i passes what
// is typed to its stdin (docker's attach), and exits with its status;
// --no-stdin does not.
func TestAttachForwardsStdin(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("-i", "busybox", "sh", "-c", "echo waiting; read line; echo got:$line; exit 3")
	e.waitLog(id, "waiting")
	cmd := exec.Command(rrunBin, "attach", id)
	cmd.Env, cmd.Stdin = e.vars, strings.NewReader("hello\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	<-done
	if code := cmd.ProcessState.ExitCode(); code != 3 || out.String() != "got:hello\n" {
		t.Errorf("attach with stdin \"hello\": exit %d, stdout %q, stderr %q; want 3 and got:hello", code, out.String(), errb.String())
	}
}

// TestForegroundOutputToAClosedPipe: `rrun run IMAGE yes | head -1`: once
// the reader is gone the container's writes fail as if it wrote to the
// pipe itself (busybox yes: "Broken pipe", exit 1), rrun exits with that
// status and the container is recorded as exited with it: the monitor,
// which copies the output, is not killed by the closed pipe.
func TestForegroundOutputToAClosedPipe(t *testing.T) {
	e := withBusybox(t)
	r, w := must2(os.Pipe())
	cmd := exec.Command(rrunBin, "run", "--name", "piped", "busybox", "yes")
	cmd.Env, cmd.Stdout = e.vars, w
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	line := make([]byte, 2)
	if _, err := io.ReadFull(r, line); err != nil || string(line) != "y\n" {
		t.Fatalf("first line of yes: %q, %v", line, err)
	}
	r.Close() // as head -1 does
	_ = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code <= 0 || code == 125 || !strings.Contains(errb.String(), "Broken pipe") {
		t.Errorf("run yes with its reader gone: exit %d, stderr %q; want yes's own failure (Broken pipe)", code, errb.String())
	}
	if got := strings.TrimSpace(e.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "piped").stdout); got != fmt.Sprintf("exited %d", code) {
		t.Errorf("inspect after the pipe closed: %q, want exited %d", got, code)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
