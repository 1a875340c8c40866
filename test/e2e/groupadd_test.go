package e2e

import (
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// --group-add adds supplementary groups (a gid, or a name from the
// image's /etc/group), as docker does. Without a subordinate range (run as
// rrun-nosub) the container has one gid: a --group-add of another one is
// refused with the fix (podman drops it silently), its own gid is fine.
func TestGroupAddNoSubuid(t *testing.T) {
	e := withBusybox(t)
	if fixtures.HasSubUIDs() {
		r := e.ok("run", "--rm", "--group-add", "10", "--group-add", "nobody", "busybox", "id", "-G")
		expect(t, "id -G with --group-add 10 --group-add nobody", strings.TrimSpace(r.stdout), "0 10 65534")
		r = e.ok("run", "--rm", "-u", "1000:1000", "--group-add", "10", "busybox", "id", "-G")
		expect(t, "id -G of -u 1000:1000 --group-add 10", strings.TrimSpace(r.stdout), "1000 10")
		id := strings.TrimSpace(e.ok("create", "--group-add", "10", "busybox", "id", "-G").stdout)
		defer e.run("", "rm", "-f", id)
		expect(t, "id -G of create --group-add 10, then start -a", strings.TrimSpace(e.ok("start", "-a", id).stdout), "0 10")
	} else {
		r := e.run("", "run", "--rm", "--group-add", "10", "busybox", "id", "-G")
		if r.code != 125 || !strings.Contains(r.stderr, "--group-add 10") || !strings.Contains(r.stderr, "subordinate") {
			t.Fatalf("--group-add of another gid without a subordinate range must fail with 125 and the fix: %s", r)
		}
		expect(t, "--group-add of the process's own gid", strings.TrimSpace(e.ok("run", "--rm", "-u", "1000:1000", "--group-add", "1000", "busybox", "id", "-G").stdout), "1000")
	}
	if r := e.run("", "run", "--rm", "--group-add", "ghosts", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "ghosts") {
		t.Fatalf("an unknown group name must fail with 125 naming it: %s", r)
	}
}
