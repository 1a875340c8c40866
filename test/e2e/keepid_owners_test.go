package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// debianEnv loads the Debian fixture image into a new env, or skips when
// the rootfs tarball was not built (make test builds it).
func debianEnv(t *testing.T, vars ...string) *env {
	archive, err := fixtures.DebianArchive()
	if errors.Is(err, fixtures.ErrNoDebianRootfs) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.vars = append(e.vars, vars...)
	e.ok("load", "-q", "-i", archive)
	return e
}

// A --userns=keep-id container of the Debian image sees the image's real
// owners (root's files 0:0, /etc/shadow 0:42, both layers), runs as the
// invoking user, writes into a -v workspace as that user, and a setuid
// root binary (su) works in it; `rrun info` says how. On the overlay and
// fuse-overlayfs stores fuse-overlayfs shifts the ids (nothing copied); on
// vfs (and on overlay without a usable /dev/fuse) the first run makes a
// mapped copy of each layer, which later runs reuse.
func TestKeepIDDebianImageOwners(t *testing.T) {
	if !fixtures.HasSubUIDs() {
		t.Skip("the image's owners need a subordinate uid range (without one they are squashed; see TestCIDebianNoSubuid)")
	}
	fuse := fuseUsable()
	overlayWay := "mapped copy of each layer"
	if fuse == nil {
		overlayWay = "fuse-overlayfs uidmapping"
	}
	for _, c := range []struct{ storage, mechanism string }{
		{"overlay", overlayWay},
		{"fuse-overlayfs", "fuse-overlayfs uidmapping"},
		{"vfs", "mapped copy of each layer"},
	} {
		t.Run(c.storage, func(t *testing.T) {
			if c.storage == "fuse-overlayfs" && fuse != nil {
				t.Skipf("fuse-overlayfs needs /dev/fuse: %v (test/setup-host.sh makes it usable)", fuse)
			}
			checkKeepIDOwners(t, c.storage, c.mechanism)
		})
	}
}

func fuseUsable() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err == nil {
		f.Close()
	}
	return err
}

func checkKeepIDOwners(t *testing.T, storage, mechanism string) {
	e := debianEnv(t, "RRUN_STORAGE="+storage)
	t.Cleanup(func() { waitNoCopier(t, e) }) // overlay: the background copier, before the store goes
	ws := t.TempDir()
	run := func() result {
		return e.ok("run", "--rm", "--userns=keep-id", "-v", ws+":/w", fixtures.DebianName, "sh", "-c",
			"stat -c %u:%g /bin/su /etc/shadow /srv/app /srv/drop; id -u; id -g; echo x > /w/out; test ! -w /etc/passwd && echo ro")
	}
	start := time.Now()
	r := run()
	first := time.Since(start)
	want := fmt.Sprintf("0:0 0:42 1000:1000 33:33 %d %d ro", os.Getuid(), os.Getgid())
	expect(t, "owners and ids in a keep-id container", strings.Join(strings.Fields(r.stdout), " "), want)
	ownedByMe(t, filepath.Join(ws, "out"))
	start = time.Now()
	r = run()
	t.Logf("keep-id run of the Debian image on %s: first %v, second %v", storage, first, time.Since(start))
	expect(t, "owners in a second keep-id container", strings.Join(strings.Fields(r.stdout), " "), want)
	if info := e.ok("info").stdout; !strings.Contains(info, "Keep-id owners:") || !strings.Contains(info, mechanism) {
		t.Fatalf("rrun info does not say that keep-id uses %q: %s", mechanism, info)
	}
	var in struct{ KeepIDOwners string }
	if err := json.Unmarshal([]byte(e.ok("info", "--format", "json").stdout), &in); err != nil || !strings.Contains(in.KeepIDOwners, mechanism) {
		t.Fatalf("rrun info --format json: KeepIDOwners %q (%v), want %q", in.KeepIDOwners, err, mechanism)
	}

	// su is setuid root: as the invoking user it becomes root (root's
	// password emptied first, by root, in the same container).
	id := strings.TrimSpace(e.ok("run", "-d", "--userns=keep-id", fixtures.DebianName, "sleep", "60").stdout)
	defer e.run("", "rm", "-f", id)
	e.ok("exec", "-u", "0", id, "sed", "-i", "s/^root:[^:]*:/root::/", "/etc/shadow")
	r = e.ok("exec", id, "sh", "-c", "id -u; su -c 'id -u' root")
	expect(t, "su from the invoking user to root", strings.Join(strings.Fields(r.stdout), " "), fmt.Sprintf("%d 0", os.Getuid()))

	// Removing the image removes the mapped copies of its layers too.
	e.ok("rm", "-f", id)
	e.ok("rmi", fixtures.DebianName)
	layers := filepath.Join(e.home, "data", "rrun", "storage", storage, storageDriverDir(storage)+"-layers", "layers.json")
	if b, err := os.ReadFile(layers); err != nil || strings.Contains(string(b), "rrun-idmap") {
		t.Fatalf("mapped layer copies left after rmi (%v): %s", err, b)
	}
}

// storageDriverDir is c/storage's driver name of a built-in storage plugin.
func storageDriverDir(storage string) string {
	if storage == "vfs" {
		return "vfs"
	}
	return "overlay"
}
