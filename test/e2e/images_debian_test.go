package e2e

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// statWant is what `stat -c '%u %g %a'` must print for a path, and the
// path it must share an inode with ("" for none).
type statWant struct {
	owner  string
	linkTo string
}

// debianChecks picks from the image's layers every setuid or setgid file,
// every entry not owned by root and every hard link.
func debianChecks(t *testing.T) map[string]statWant {
	want := map[string]statWant{}
	add := func(h *tar.Header) {
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		special := h.Mode&0o6000 != 0
		if h.Typeflag == tar.TypeLink {
			want[name] = statWant{linkTo: "/" + strings.TrimPrefix(h.Linkname, "./")}
			return
		}
		if (special || h.Uid != 0 || h.Gid != 0) && h.Typeflag != tar.TypeSymlink {
			want[name] = statWant{owner: fmt.Sprintf("%d %d %o", h.Uid, h.Gid, h.Mode&0o7777)}
		}
	}
	f, err := os.Open(fixtures.DebianRootfsTar)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		add(h)
	}
	for _, e := range fixtures.OwnersEntries() {
		h := e.Header
		add(&h)
	}
	return want
}

// The Debian minbase image's owners, modes (setuid, setgid, sticky) and
// hard links survive load -> run -> stat, as a user with a subuid range.
func TestImageDebianOwnersModesHardlinks(t *testing.T) {
	if !fixtures.HasSubUIDs() {
		t.Skip("needs a subordinate uid range to keep owners")
	}
	archive, err := fixtures.DebianArchive()
	if errors.Is(err, fixtures.ErrNoDebianRootfs) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := debianChecks(t)
	if len(want) < 10 {
		t.Fatalf("the fixture has too few special files to prove anything: %v", want)
	}
	e := newEnv(t)
	start := time.Now()
	e.ok("load", "-q", "-i", archive)
	t.Logf("load of the Debian image: %v", time.Since(start))
	args := []string{"run", "--rm", fixtures.DebianName, "stat", "-c", "%u %g %a %i %n"}
	for p, w := range want {
		args = append(args, p)
		if w.linkTo != "" {
			args = append(args, w.linkTo)
		}
	}
	got := map[string][2]string{} // path -> owner+mode, inode
	for _, line := range strings.Split(strings.TrimSpace(e.ok(args...).stdout), "\n") {
		f := strings.Fields(line)
		if len(f) == 5 {
			got[f[4]] = [2]string{f[0] + " " + f[1] + " " + f[2], f[3]}
		}
	}
	for p, w := range want {
		switch {
		case w.linkTo != "" && (got[p][1] == "" || got[p][1] != got[w.linkTo][1]):
			t.Errorf("%s is not a hard link of %s: inodes %q and %q", p, w.linkTo, got[p][1], got[w.linkTo][1])
		case w.owner != "" && got[p][0] != w.owner:
			t.Errorf("%s: uid gid mode %q, want %q", p, got[p][0], w.owner)
		}
	}
}
