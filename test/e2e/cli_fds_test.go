package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fdList prints the shell's fds, reads fd 3 and appends to fd 4.
const fdList = `ls /proc/$$/fd; cat <&3; echo written >&4`

// preservedPair is a file to read (the caller's fd 3) and one opened for
// appending (fd 4).
func preservedPair(t *testing.T) ([]*os.File, string) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	must(0, os.WriteFile(in, []byte("hello from fd 3\n"), 0o644))
	must(0, os.WriteFile(out, []byte("before\n"), 0o644))
	r := must(os.Open(in))
	w := must(os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0))
	t.Cleanup(func() { r.Close(); w.Close() })
	return []*os.File{r, w}, out
}

func checkPreservedOut(t *testing.T, what, got, written string) {
	t.Helper()
	if want := "0\n1\n2\n3\n4\nhello from fd 3\n"; got != want {
		t.Errorf("%s --preserve-fds 2: container printed %q, want %q (exactly fds 0-4, fd 3 the caller's file)", what, got, want)
	}
	if data := string(must(os.ReadFile(written))); data != "before\nwritten\n" {
		t.Errorf("%s --preserve-fds 2: the caller's fd 4 file holds %q, want the container's line appended", what, data)
	}
}

// TestPreserveFds: `run --preserve-fds 2` (foreground and -d) and `exec
// --preserve-fds 2` give the container the caller's fds 3 and 4 and no
// other; without the flag it gets 0-2 only (podman's --preserve-fds).
func TestPreserveFds(t *testing.T) {
	e := withBusybox(t)
	fds, written := preservedPair(t)
	r := e.runHolding(fds, "run", "--rm", "--preserve-fds", "2", "busybox", "sh", "-c", fdList)
	if r.code != 0 {
		t.Fatalf("run --preserve-fds 2: %s", r)
	}
	checkPreservedOut(t, "run", r.stdout, written)

	fds, _ = preservedPair(t)
	r = e.runHolding(fds, "run", "--rm", "busybox", "sh", "-c", "ls /proc/$$/fd; true")
	if r.stdout != "0\n1\n2\n" {
		t.Errorf("run without --preserve-fds: %q, want fds 0 1 2 only", r.stdout)
	}

	fds, written = preservedPair(t)
	r = e.runHolding(fds, "run", "-d", "--name", "pfd", "--preserve-fds", "2", "busybox", "sh", "-c", fdList+"; sleep 1000")
	if r.code != 0 {
		t.Fatalf("run -d --preserve-fds 2: %s", r)
	}
	defer e.run("", "rm", "-f", "pfd")
	e.waitLog("pfd", "hello from fd 3\n")
	checkPreservedOut(t, "run -d", e.ok("logs", "pfd").stdout, written)

	fds, written = preservedPair(t)
	r = e.runHolding(fds, "exec", "--preserve-fds", "2", "pfd", "sh", "-c", fdList)
	if r.code != 0 {
		t.Fatalf("exec --preserve-fds 2: %s", r)
	}
	checkPreservedOut(t, "exec", r.stdout, written)
	if r := e.runHolding(nil, "exec", "--preserve-fds", "2", "pfd", "true"); r.code != 125 || !strings.Contains(r.stderr, "fd 3 is not open") {
		t.Errorf("exec --preserve-fds 2 with no fd 3 open: want exit 125 naming fd 3, got %s", r)
	}
}
