package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// A keep-id container running as the invoking user's uid writes into a
// bind-mounted workspace; the file belongs to that user on the host. Also
// run as rrun-nosub (single-uid mapping).
func TestCIKeepIDWorkspaceNoSubuid(t *testing.T) {
	e := withBusybox(t)
	ws := t.TempDir()
	r := e.ok("run", "--rm", "--userns=keep-id", "-v", ws+":/work", "-w", "/work", "busybox",
		"sh", "-c", "id -u; id -g; echo built > out.txt")
	want := strconv.Itoa(os.Getuid()) + " " + strconv.Itoa(os.Getgid())
	if got := strings.Join(strings.Fields(r.stdout), " "); got != want {
		t.Fatalf("id -u, id -g in a keep-id container: want %q, got %s", want, r)
	}
	st, err := os.Stat(filepath.Join(ws, "out.txt"))
	if err != nil {
		t.Fatalf("the container's file is not in the workspace: %v", err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if int(sys.Uid) != os.Getuid() || int(sys.Gid) != os.Getgid() {
		t.Fatalf("workspace file owned by %d:%d, want the invoking user %d:%d", sys.Uid, sys.Gid, os.Getuid(), os.Getgid())
	}
	if r := e.run("", "run", "--rm", "--userns=bogus", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "keep-id") {
		t.Fatalf("a bad --userns must fail with 125 naming keep-id: %s", r)
	}
	checkInfoKeepIDOwners(t, e)
}

// checkInfoKeepIDOwners: `rrun info --format json` names the keep-id
// mechanism as `rrun info` does (squashed owners without a range).
func checkInfoKeepIDOwners(t *testing.T, e *env) {
	var in struct{ KeepIDOwners string }
	if err := json.Unmarshal([]byte(e.ok("info", "--format", "json").stdout), &in); err != nil || in.KeepIDOwners == "" {
		t.Fatalf("rrun info --format json has no KeepIDOwners (%v): %+v", err, in)
	}
	// The mechanism, not the copier's progress after ";", which may change
	// between the two calls.
	mechanism, _, _ := strings.Cut(in.KeepIDOwners, ";")
	if info := e.ok("info").stdout; !strings.Contains(info, "Keep-id owners:") || !strings.Contains(info, mechanism) {
		t.Fatalf("rrun info --format json says KeepIDOwners %q, rrun info: %s", in.KeepIDOwners, info)
	}
	if !fixtures.HasSubUIDs() && !strings.Contains(in.KeepIDOwners, "squashed") {
		t.Fatalf("without a subordinate range KeepIDOwners must say the owners are squashed: %q", in.KeepIDOwners)
	}
}

// limitsAvailable reports whether this host lets the user apply memory,
// cpu and pids limits (a delegated cgroup v2 subtree).
func limitsAvailable() bool {
	h := cgroups.RealHost()
	_, err := h.Delegated(h.Detect(), []string{"memory", "cpu", "pids"})
	return err == nil
}

// On a host without a delegated cgroup v2 (this CI's: cgroup v1 plus an
// empty v2), limits are refused with the reason and the fix, and accepted
// with --cgroups=disabled or [containers] cgroups = "disabled".
func TestCILimitsRefusedWithoutCgroupV2NoSubuid(t *testing.T) {
	if limitsAvailable() {
		t.Skip("this host delegates cgroup v2 controllers: limits are applied (TestCILimitsApplied)")
	}
	e := withBusybox(t)
	for _, flag := range [][]string{{"--memory", "512m"}, {"--cpus", "1.5"}, {"--pids-limit", "100"}, {"--cpu-shares", "512"}} {
		r := e.run("", append(append([]string{"run", "--rm"}, flag...), "busybox", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, "need cgroup v2") || !strings.Contains(r.stderr, "--cgroups=disabled") ||
			strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Fatalf("%v on this host: want exit 125 and one line with the reason and the fix: %s", flag, r)
		}
	}
	r := e.ok("run", "--rm", "--cgroups=disabled", "--memory", "512m", "busybox", "true")
	if !strings.Contains(r.stderr, "not applied") {
		t.Fatalf("--cgroups=disabled with limits must say they are not applied: %s", r)
	}
	writeConfig(t, e, "[containers]\ncgroups = \"disabled\"\n")
	e.ok("run", "--rm", "--memory", "512m", "busybox", "true")
	if r := e.run("", "stats", "--no-stream"); r.code != 125 || !strings.Contains(r.stderr, "cgroup v2") {
		t.Fatalf("rrun stats without cgroup v2: want 125 and the reason: %s", r)
	}
	if r := e.run("", "run", "--rm", "--memory", "lots", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "invalid --memory") {
		t.Fatalf("a bad --memory must fail with 125: %s", r)
	}
}

func writeConfig(t *testing.T, e *env, text string) {
	dir := filepath.Join(e.home, "config", "rrun")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Where the user has a delegated cgroup v2 subtree, the limits are in the
// container's cgroup files.
func TestCILimitsApplied(t *testing.T) {
	if !limitsAvailable() {
		t.Skip("no cgroup v2 subtree with memory, cpu and pids is delegated to this user here (cgroup v1 host)")
	}
	e := withBusybox(t)
	id := strings.TrimSpace(e.ok("run", "-d", "--memory", "512m", "--cpus", "1.5", "--pids-limit", "64", "busybox", "sleep", "60").stdout)
	defer e.run("", "rm", "-f", id)
	h := cgroups.RealHost()
	d, _ := h.Delegated(h.Detect(), nil)
	dir := filepath.Join(d.Mount, d.Base, cgroups.NameFor(id))
	want := map[string]string{"memory.max": "536870912", "cpu.max": "150000 100000", "pids.max": "64"}
	for f, v := range want {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || strings.TrimSpace(string(b)) != v {
			t.Errorf("%s: %q (%v), want %q", f, b, err, v)
		}
	}
	e.ok("stats", "--no-stream", id)
}

// The Debian image, whose files belong to many uids, loads and runs for a
// user with a subuid range and for one without (owners squashed, one
// warning per command).
func TestCIDebianNoSubuid(t *testing.T) {
	archive, err := fixtures.DebianArchive()
	if errors.Is(err, fixtures.ErrNoDebianRootfs) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	start := time.Now()
	r := e.ok("load", "-q", "-i", archive)
	t.Logf("load of the Debian image: %v", time.Since(start))
	checkWarning(t, r)
	r = e.ok("run", "--rm", fixtures.DebianName, "sh", "-c", "cat /etc/debian_version; id -u; ls /usr/bin | wc -l")
	if !strings.Contains(r.stdout, "12") {
		t.Fatalf("debian_version: %s", r)
	}
	checkWarning(t, r)
	ws := t.TempDir()
	start = time.Now()
	r = e.ok("run", "--rm", "--userns=keep-id", "-v", ws+":/w", fixtures.DebianName, "touch", "/w/f")
	t.Logf("first keep-id run of the Debian image: %v", time.Since(start))
	if st, err := os.Stat(filepath.Join(ws, "f")); err != nil || int(st.Sys().(*syscall.Stat_t).Uid) != os.Getuid() {
		t.Fatalf("keep-id file in the workspace: %v %s", err, r)
	}
}

// withoutMappingWarning is stderr without the single-uid mapping's
// warning line, trimmed.
func withoutMappingWarning(stderr string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.Contains(l, "no subordinate uid/gid range") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// checkWarning: exactly one single-uid warning without a range, none with.
func checkWarning(t *testing.T, r result) {
	t.Helper()
	n := strings.Count(r.stderr, "no subordinate uid/gid range")
	if fixtures.HasSubUIDs() && n != 0 || !fixtures.HasSubUIDs() && (n != 1 || !strings.Contains(r.stderr, "usermod --add-subuids")) {
		t.Fatalf("want one single-uid warning naming the fix only without a range: %s", r)
	}
}
