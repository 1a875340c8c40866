package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPublishRefusesSignedPort: `-p +80` is refused as docker refuses it
// (exit 125, before anything starts), as is `-p 8080:+80`.
func TestPublishRefusesSignedPort(t *testing.T) {
	e := withBusybox(t)
	for _, p := range []string{"+80", "8080:+80", "+8080:80"} {
		r := e.run("", "run", "--rm", "-p", p, "busybox", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "not a port number") {
			t.Errorf("run -p %s: want exit 125 saying it is not a port number, got %s", p, r)
		}
	}
}

// TestUserLookupLongPasswdLine: an /etc/passwd with a line longer than
// 64 KiB gives one clear line, not bufio's "token too long".
func TestUserLookupLongPasswdLine(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "--name", "longpw", "busybox", "sh", "-c", "head -c 70000 /dev/zero | tr '\\0' x >> /etc/passwd; echo >> /etc/passwd")
	e.ok("commit", "longpw", "longpw:1")
	r := e.run("", "run", "--rm", "-u", "nobody", "longpw:1", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "/etc/passwd") || !strings.Contains(r.stderr, "longer than 64 KiB") ||
		strings.Contains(r.stderr, "token too long") {
		t.Errorf("run -u nobody with a 70,000-byte passwd line: want exit 125 naming /etc/passwd and the 64 KiB limit, got %s", r)
	}
}

// TestHarnessBoundsAHungCommand: the harness kills an rrun command that
// outlives its bound and says so (runWith then fails only that test),
// with what the command printed so far.
func TestHarnessBoundsAHungCommand(t *testing.T) {
	e := withBusybox(t)
	r, hung := e.runLimited(3*time.Second, nil, "", "run", "--rm", "busybox", "sh", "-c", "echo started; sleep 600")
	if !hung {
		t.Fatalf("a 10-minute container under a 3 s bound: want it killed and reported as hung, got %s", r)
	}
	if !strings.Contains(r.stdout, "started") {
		t.Errorf("the hung command's output must be kept for the report: %q", r.stdout)
	}
}
