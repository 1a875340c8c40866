package e2e

import (
	"strings"
	"testing"
)

// logs --since and --until bound the entries by their recorded times, as
// docker's json-file logs do.
func TestCLILogsSinceUntil(t *testing.T) {
	e := withBusybox(t)
	id := e.detached("busybox", "sh", "-c", "echo first; sleep 1; echo second; sleep 60")
	e.waitLog(id, "second")
	stamped := strings.Split(strings.TrimSpace(e.ok("logs", "-t", id).stdout), "\n")
	if len(stamped) != 2 {
		t.Fatalf("logs -t: %q", stamped)
	}
	firstAt, secondAt := strings.Fields(stamped[0])[0], strings.Fields(stamped[1])[0]
	if got := e.ok("logs", "--since", secondAt, id).stdout; got != "second\n" {
		t.Errorf("logs --since %s: %q", secondAt, got)
	}
	if got := e.ok("logs", "--until", firstAt, id).stdout; got != "first\n" {
		t.Errorf("logs --until %s: %q", firstAt, got)
	}
	if got := e.ok("logs", "--since", "1h", "--tail", "1", id).stdout; got != "second\n" {
		t.Errorf("logs --since 1h --tail 1: %q", got)
	}
	if r := e.run("", "logs", "--tail", "0", id); r.code != 0 || r.stdout != "" {
		t.Errorf("logs --tail 0 must print nothing: %s", r)
	}
	if r := e.run("", "logs", "--since", "yesterday-ish", id); r.code != 125 || !strings.Contains(r.stderr, "invalid time") {
		t.Errorf("logs --since with a bad time: %s", r)
	}
	e.ok("rm", "-f", id)
}
