package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestDiffRunningAndStopped: `rrun diff` prints docker's A/C/D lines for
// a running container and the same once it stopped.
func TestDiffRunningAndStopped(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "-d", "--name", "changed", "busybox", "sh", "-c",
		"echo x > /new; rm /bin/true; echo y >> /etc/passwd; echo ready; sleep 1000")
	defer e.run("", "rm", "-f", "changed")
	e.waitLog("changed", "ready")
	running := e.ok("diff", "changed").stdout
	t.Logf("diff of the running container:\n%s", running)
	checkDiff(t, "running", running)
	e.ok("kill", "changed")
	e.ok("wait", "changed")
	if stopped := e.ok("diff", "changed").stdout; stopped != running {
		t.Errorf("diff once stopped:\n%s\nwant the same as while running:\n%s", stopped, running)
	}
	if r := e.run("", "diff", "nosuch"); r.code != 125 || !strings.Contains(r.stderr, "nosuch") {
		t.Errorf("diff of an unknown container: want 125 naming it, got %s", r)
	}
}

func checkDiff(t *testing.T, what, out string) {
	t.Helper()
	for _, want := range []string{"A /new", "C /etc/passwd", "D /bin/true", "C /bin"} {
		if !strings.Contains("\n"+out, "\n"+want+"\n") {
			t.Errorf("diff (%s) has no line %q:\n%s", what, want, out)
		}
	}
	for _, own := range []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} {
		if strings.Contains(out, " "+own+"\n") {
			t.Errorf("diff (%s) shows %s, which rrun made (docker's init layer hides it):\n%s", what, own, out)
		}
	}
	line := regexp.MustCompile(`^[ACD] /`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !line.MatchString(l) {
			t.Errorf("diff (%s) line %q is not docker's \"K /path\"", what, l)
		}
	}
}

// TestPsSizeAndPruneReclaimed: `ps -s` shows docker's SIZE column
// ("3MB (virtual 5MB)"), `.Size` works in --format, and container prune
// reports the space it freed.
func TestPsSizeAndPruneReclaimed(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "--name", "big", "busybox", "sh", "-c", "head -c 3000000 /dev/zero > /big")
	out := e.ok("ps", "-a", "--format", "{{.Names}} {{.Size}}").stdout
	if !regexp.MustCompile(`^big 3(\.\d+)?MB \(virtual \d+(\.\d+)?MB\)\n$`).MatchString(out) {
		t.Errorf("ps --format '{{.Names}} {{.Size}}' = %q, want big 3MB (virtual ...MB)", out)
	}
	table := e.ok("ps", "-a", "-s").stdout
	if lines := strings.Split(table, "\n"); !strings.HasSuffix(strings.TrimSpace(lines[0]), "SIZE") || !strings.Contains(table, "(virtual ") {
		t.Errorf("ps -a -s: want a last column SIZE with docker's \"X (virtual Y)\":\n%s", table)
	}
	prune := e.ok("container", "prune", "-f").stdout
	if !regexp.MustCompile(`Total reclaimed space: 3(\.\d+)?MB\n`).MatchString(prune) {
		t.Errorf("container prune after a 3 MB container: want Total reclaimed space: 3MB, got\n%s", prune)
	}
}
