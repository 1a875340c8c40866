package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// nonRootImage is busybox whose config says `User: 1000:1000`, as many CI
// images do.
func nonRootImage(t *testing.T, e *env) string {
	es, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fixtures.BusyboxConfig()
	cfg.Config.User = "1000:1000"
	img, err := fixtures.Image(cfg, es)
	if err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(e.home, "nonroot.tar")
	if err := fixtures.WriteDockerArchive(tar, img, "example.com/nonroot:1"); err != nil {
		t.Fatal(err)
	}
	e.ok("load", "-q", "-i", tar)
	return "example.com/nonroot:1"
}

// ownedByMe fails unless path belongs to the invoking user on the host.
func ownedByMe(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the container's file is not in the workspace: %v", err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if int(sys.Uid) != os.Getuid() || int(sys.Gid) != os.Getgid() {
		t.Fatalf("%s owned by %d:%d, want the invoking user %d:%d", path, sys.Uid, sys.Gid, os.Getuid(), os.Getgid())
	}
}

// Without a subordinate range, an image whose config says User 1000:1000
// runs as 1000:1000 (its one id is the invoking user), writes into a -v
// workspace as the invoking user, and the one warning says the mapping.
func TestNonRootImageUserNoSubuid(t *testing.T) {
	if fixtures.HasSubUIDs() {
		t.Skip("this user has a subuid range; make test runs this test as rrun-nosub, which has none")
	}
	e := newEnv(t)
	image := nonRootImage(t, e)
	ws := t.TempDir()
	r := e.ok("run", "--rm", "-v", ws+":/w", image, "sh", "-c", "id -u; id -g; echo hi > /w/out; echo hi > /tmp/x && cat /tmp/x")
	expect(t, "id in a User 1000:1000 image", strings.Join(strings.Fields(r.stdout), " "), "1000 1000 hi")
	ownedByMe(t, filepath.Join(ws, "out"))
	warn := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(warn) != 1 || !strings.Contains(warn[0], "single-uid mapping") || !strings.Contains(warn[0], "your uid "+strconv.Itoa(os.Getuid())) ||
		!strings.Contains(warn[0], "-u") {
		t.Fatalf("want exactly one warning that says what the mapping is: %s", r)
	}
}

// -u 1000 on a root image, and exec -u 1000 in a container running as root
// or as the image's user, without a subordinate range.
func TestUserFlagAndExecUserNoSubuid(t *testing.T) {
	if fixtures.HasSubUIDs() {
		t.Skip("this user has a subuid range; make test runs this test as rrun-nosub, which has none")
	}
	e := withBusybox(t)
	ws := t.TempDir()
	r := e.ok("run", "--rm", "-u", "1000", "-v", ws+":/w", "busybox", "sh", "-c", "id -u; id -g; touch /w/f")
	expect(t, "-u 1000", strings.Join(strings.Fields(r.stdout), " "), "1000 0")
	ownedByMe(t, filepath.Join(ws, "f"))
	expect(t, "-u 1000:1000", strings.TrimSpace(e.ok("run", "--rm", "-u", "1000:1000", "busybox", "id", "-g").stdout), "1000")

	id := strings.TrimSpace(e.ok("run", "-d", "-v", ws+":/w", "busybox", "sleep", "60").stdout)
	defer e.run("", "rm", "-f", id)
	r = e.ok("exec", "-u", "1000", id, "sh", "-c", "id -u; id -g; touch /w/g")
	expect(t, "exec -u 1000 in a root container", strings.Join(strings.Fields(r.stdout), " "), "1000 0")
	ownedByMe(t, filepath.Join(ws, "g"))
	expect(t, "exec as root after it", strings.TrimSpace(e.ok("exec", id, "id", "-u").stdout), "0")

	image := nonRootImage(t, e)
	id2 := strings.TrimSpace(e.ok("run", "-d", image, "sleep", "60").stdout)
	defer e.run("", "rm", "-f", id2)
	expect(t, "exec in a User 1000:1000 container", strings.TrimSpace(e.ok("exec", id2, "id", "-u").stdout), "1000")
	expect(t, "exec -u 1000", strings.TrimSpace(e.ok("exec", "-u", "1000", id2, "id", "-u").stdout), "1000")
	expect(t, "exec -u 0 in a User 1000:1000 container", strings.TrimSpace(e.ok("exec", "-u", "0", id2, "id", "-u").stdout), "0")
}
