package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// A CI runner without an /etc/subuid entry still runs busybox: one warning
// naming the fix, and a single-uid mapping. `make test` runs this as the
// user rrun-nosub, which has no range.
func TestNoSubuidRunsWithSingleMapping(t *testing.T) {
	if fixtures.HasSubUIDs() {
		t.Skip("this user has a subuid range; make test runs this test as rrun-nosub, which has none")
	}
	e := newEnv(t)
	r := e.ok("load", "-q", "-i", busyboxDocker)
	r = e.run("", "run", "--rm", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map; echo $FOO")
	if r.code != 0 {
		t.Fatalf("run without a subuid range: %s", r)
	}
	want := fmt.Sprintf("0\n0 %d 1\nfrom-image\n", os.Getuid())
	if got := strings.Join(strings.Fields(r.stdout), " "); got != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("want %q, got %s", want, r)
	}
	warn := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(warn) != 1 || !strings.Contains(warn[0], "no subordinate uid/gid range") || !strings.Contains(warn[0], "usermod --add-subuids") {
		t.Fatalf("want exactly one warning naming the fix: %s", r)
	}
}
