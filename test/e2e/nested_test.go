package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// nestedImage writes a docker-archive of busybox plus the rrun binary
// under test and its container init rrun-nsinit (with the shared libraries it links) and busybox's own
// archive at /busybox.tar, tagged example.com/rrun-nested:1: what a CI
// runner image that runs rrun contains. No network is needed.
func nestedImage(t *testing.T, e *env) string {
	es, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	extra := []fixtures.Entry{fixtures.File("usr/bin/rrun", 0o755, must(os.ReadFile(rrunBin))),
		fixtures.File("usr/bin/rrun-nsinit", 0o755, must(os.ReadFile(filepath.Join(filepath.Dir(rrunBin), "rrun-nsinit")))),
		fixtures.File("busybox.tar", 0o644, must(os.ReadFile(busyboxDocker)))}
	seen := map[string]bool{}
	for _, lib := range sharedLibs(t, rrunBin) {
		real := must(filepath.EvalSymlinks(lib))
		for d := filepath.Dir(strings.TrimPrefix(lib, "/")); d != "." && !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			extra = append(extra, fixtures.Dir(d, 0o755))
		}
		extra = append(extra, fixtures.File(strings.TrimPrefix(lib, "/"), 0o755, must(os.ReadFile(real))))
	}
	img, err := fixtures.Image(fixtures.BusyboxConfig(), es, sortedDirsFirst(extra))
	if err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(e.home, "nested.tar")
	if err := fixtures.WriteDockerArchive(tar, img, "example.com/rrun-nested:1"); err != nil {
		t.Fatal(err)
	}
	return tar
}

// sortedDirsFirst puts directory entries before files, parents first.
func sortedDirsFirst(es []fixtures.Entry) []fixtures.Entry {
	var dirs, files []fixtures.Entry
	for _, e := range es {
		if strings.HasSuffix(e.Header.Name, "/") || e.Header.Typeflag == '5' {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	return append(dirs, files...)
}

// sharedLibs lists the libraries ldd says bin needs (with the loader).
func sharedLibs(t *testing.T, bin string) []string {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, f)
				break
			}
		}
	}
	return libs
}

// nestedScript runs inside the outer container: rrun doctor, then a load
// and a run of busybox with the inner rrun (its store on the container's
// filesystem: rrun picks the driver that works there).
const nestedScript = `export HOME=/root XDG_RUNTIME_DIR=/tmp/run
mkdir -p /tmp/run && chmod 700 /tmp/run
rrun doctor >/tmp/doctor.txt 2>&1 || { cat /tmp/doctor.txt; exit 3; }
rrun load -q -i /busybox.tar >/dev/null && rrun run --rm --network none busybox sh -c 'echo nested-ok; id -u'`

// rrun inside an rrun container: the one outer option it needs is
// --privileged (no seccomp filter, so a user namespace can be made; no
// masked /proc paths, so the inner session can mount a /proc). Without it,
// the inner rrun doctor names that option, for each of the two checks.
func TestNestedInRrun(t *testing.T) {
	e := withBusybox(t)
	e.ok("load", "-q", "-i", nestedImage(t, e))
	r := e.ok("run", "--rm", "--network", "none", "--privileged", "example.com/rrun-nested:1", "sh", "-c", nestedScript)
	if !strings.Contains(r.stdout, "nested-ok\n0") {
		t.Fatalf("rrun in an rrun container: %s", r)
	}
	r = e.run("", "run", "--rm", "--network", "none", "example.com/rrun-nested:1", "sh", "-c", nestedScript)
	if r.code != 3 || !strings.Contains(r.stdout, "--privileged") {
		t.Fatalf("without the outer option, the inner rrun doctor must fail naming it: %s", r)
	}
	t.Logf("inner rrun doctor without --privileged:\n%s", r.stdout)
	// With user namespaces allowed but /proc masked, the proc check names it.
	r = e.run("", "run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined", "example.com/rrun-nested:1", "sh", "-c", nestedScript)
	if r.code != 3 || !strings.Contains(r.stdout, "mount -t proc") || !strings.Contains(r.stdout, "--privileged (rrun)") {
		t.Fatalf("with /proc masked, the inner rrun doctor must fail naming the option: %s", r)
	}
}

// rrun inside a rootless podman container, with podman's options for it;
// without seccomp=unconfined the inner rrun doctor names it.
func TestNestedInPodman(t *testing.T) {
	e := withBusybox(t)
	tar := nestedImage(t, e)
	e.podman("load", "-q", "-i", tar)
	out := e.podman("run", "--rm", "--network", "none", "--cgroups", "disabled",
		"--security-opt", "seccomp=unconfined", "--security-opt", "unmask=ALL",
		"example.com/rrun-nested:1", "sh", "-c", nestedScript)
	if !strings.Contains(out, "nested-ok\n0") {
		t.Fatalf("rrun in a podman container: %q", out)
	}
	// podman's default seccomp profile lets a user namespace be made but
	// refuses sethostname in it: the inner doctor names the option.
	cmd := exec.Command("podman", "--storage-driver", "vfs", "run", "--rm", "--network", "none", "--cgroups", "disabled",
		"--security-opt", "unmask=ALL", "example.com/rrun-nested:1", "sh", "-c", nestedScript)
	cmd.Env = e.vars
	b, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(string(b), "seccomp=unconfined (podman)") {
		t.Fatalf("podman's default seccomp profile: the inner rrun doctor must fail naming seccomp=unconfined: %v\n%s", err, b)
	}
}
