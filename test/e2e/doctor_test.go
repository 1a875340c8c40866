package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// doctorReport is `rrun doctor --json`, schema 1.
type doctorReport struct {
	Schema int  `json:"schema"`
	OK     bool `json:"ok"`
	Checks []struct {
		ID, Title, Status, Evidence, Fix string
	} `json:"checks"`
}

// doctor runs `rrun doctor --json` with PATH set to path (empty: as is),
// and returns the report and the exit code.
func doctor(t *testing.T, path string) (doctorReport, result) {
	t.Helper()
	e := newEnv(t)
	if path != "" {
		for i, v := range e.vars {
			if strings.HasPrefix(v, "PATH=") {
				e.vars[i] = "PATH=" + path
			}
		}
	}
	r := e.run("", "doctor", "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Schema != 1 || len(rep.Checks) == 0 {
		t.Fatalf("doctor --json: not a schema 1 report (%v): %s", err, r)
	}
	if (r.code == 0) != rep.OK || (r.code != 0 && r.code != 1) {
		t.Fatalf("exit code %d does not match ok=%v: %s", r.code, rep.OK, r)
	}
	return rep, r
}

// expectCheck fails unless check id has status and its fix names fix.
func expectCheck(t *testing.T, rep doctorReport, id, status, fix string) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			if c.Status != status || !strings.Contains(c.Fix, fix) {
				t.Fatalf("check %s: want %s with fix naming %q, got %+v", id, status, fix, c)
			}
			return
		}
	}
	t.Fatalf("no check %s in %+v", id, rep)
}

// The names end in NoSubuid so that `make test` also runs them as
// rrun-nosub, which has no subordinate range.

func TestDoctorOnThisHostAndNoSubuid(t *testing.T) {
	rep, r := doctor(t, "")
	if r.code != 0 {
		t.Fatalf("doctor must pass on the test host: %s", r)
	}
	expectCheck(t, rep, "userns", "ok", "")
	expectCheck(t, rep, "overlay", "ok", "")
	if fixtures.HasSubUIDs() {
		expectCheck(t, rep, "subids", "ok", "")
		expectCheck(t, rep, "idmap-helpers", "ok", "")
	} else {
		expectCheck(t, rep, "subids", "warn", "sudo usermod --add-subuids")
	}
	text := newEnv(t).run("", "doctor")
	if text.code != 0 || !strings.Contains(text.stdout, "✓ unprivileged user namespaces") {
		t.Fatalf("doctor's text report: %s", text)
	}
}

func TestDoctorNewuidmapWithoutPrivilegeAndNoSubuid(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, must(exec.LookPath("newuidmap")), filepath.Join(dir, "newuidmap"))
	rep, r := doctor(t, dir+":"+os.Getenv("PATH"))
	if fixtures.HasSubUIDs() {
		expectCheck(t, rep, "idmap-helpers", "fail", "sudo apt-get install --reinstall uidmap")
		if r.code != 1 {
			t.Fatalf("rrun would run a newuidmap that cannot map the range: want exit 1: %s", r)
		}
		return
	}
	expectCheck(t, rep, "idmap-helpers", "warn", "sudo apt-get install --reinstall uidmap")
}

func TestDoctorWithoutFuseOverlayfsAndNoSubuid(t *testing.T) {
	dir := t.TempDir()
	for _, tool := range []string{"newuidmap", "newgidmap", "slirp4netns"} {
		if p, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep, r := doctor(t, dir)
	expectCheck(t, rep, "fuse", "warn", "sudo apt-get install fuse-overlayfs")
	if r.code != 0 {
		t.Fatalf("fuse-overlayfs is only a fallback: want exit 0: %s", r)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
