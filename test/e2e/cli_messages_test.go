package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Each message is one short line that names the object and the fix, as the
// docker-parity issue asks.
func TestCLIMessages(t *testing.T) {
	e := withBusybox(t)
	r := e.run("", "run", "--rm", "127.0.0.1:1/x:1", "true")
	line := strings.TrimSpace(r.stderr)
	if r.code != 125 || strings.Count(line, "\n") != 0 || len(line) > 160 || !strings.Contains(line, "127.0.0.1:1/x:1") ||
		!strings.Contains(line, "rrun load") || !strings.Contains(line, "connection refused") {
		t.Errorf("an unknown image with an unreachable registry must be one line of at most 160 characters naming the image and the fix (%d): %s", len(line), r)
	}
	bad := filepath.Join(e.home, "bad.tar")
	if err := os.WriteFile(bad, []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ stdin, name string }{{"", bad}, {"garbage\n", "stdin"}} {
		args := []string{"load", "-i", bad}
		if c.stdin != "" {
			args = []string{"load"}
		}
		r := e.run(c.stdin, args...)
		if r.code == 0 || strings.Count(r.stderr, "failed to load") != 1 || !strings.Contains(r.stderr, "failed to load "+c.name+":") ||
			strings.Contains(r.stderr, "load-") || strings.Contains(r.stderr, filepath.Join(e.home, "run")) {
			t.Errorf("load of a broken archive (%s) must say 'failed to load %s' once and no temp file: %s", c.name, c.name, r)
		}
	}
	if r := e.run("", "rmi", "nosuch:1"); r.code == 0 || !strings.Contains(r.stderr, "no such image: nosuch:1") || strings.Contains(r.stderr, "load") {
		t.Errorf("rmi nosuch:1 must not suggest loading it: %s", r)
	}
	if r := e.run("", "stats", "--no-stream"); r.code != 0 && strings.Contains(r.stderr, "--cgroups=disabled") {
		t.Errorf("stats must not suggest --cgroups=disabled: %s", r)
	}
	h := e.ok("stop", "--help").stdout
	if i := strings.Index(h, "--time"); i < 0 || strings.Count(strings.SplitN(h[i:], "\n", 2)[0], "default") != 1 {
		t.Errorf("stop --help must show its default once: %s", h)
	}
	id := e.detached("-p", "80", "busybox", "sleep", "60")
	if out := strings.TrimSpace(e.ok("port", id).stdout); !regexp.MustCompile(`^80/tcp -> 0\.0\.0\.0:[1-9][0-9]*$`).MatchString(out) {
		t.Errorf("-p 80 must publish port 80 on a random host port: %q", out)
	}
}
