package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `run --pull` with a private network (pasta, slirp4netns) pulls from a
// registry on the host's 127.0.0.1: the pull is made outside the
// container's network namespace. run and create take pull's --tls-verify
// and --authfile.
func TestRunPullFromHostLoopbackPrivateNetwork(t *testing.T) {
	modes := privateModes(t)
	reg := newRegistry(t)
	e := withBusybox(t)
	ref, _ := reg.push(t, e, "pulled/bb:1")
	auth := filepath.Join(e.home, "auth.json")
	if err := os.WriteFile(auth, []byte(`{"auths":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range modes {
		e.ok("rmi", ref)
		r := e.ok("run", "--rm", "--network", mode, "--tls-verify=false", ref, "echo", "missing-pulled")
		expect(t, mode+": run of a missing image", strings.TrimSpace(r.stdout), "missing-pulled")
		r = e.ok("run", "--rm", "--network", mode, "--pull", "always", "--tls-verify=false", "--authfile", auth, ref, "echo", "always-pulled")
		expect(t, mode+": run --pull always", strings.TrimSpace(r.stdout), "always-pulled")
		e.ok("rmi", ref)
		id := strings.TrimSpace(e.ok("create", "--network", mode, "--pull", "always", "--tls-verify=false", ref, "echo", "created").stdout)
		r = e.ok("start", "-a", id)
		expect(t, mode+": create --pull always, start", strings.TrimSpace(r.stdout), "created")
		e.ok("rm", id)
	}
	// Without --tls-verify=false the plain-http registry is refused, in one
	// line (after the single-uid mapping's warning, said once by a run that
	// got as far as its session, when the user has no subordinate range).
	e.ok("rmi", ref)
	r := e.run("", "run", "--rm", "--network", modes[0], ref, "true")
	checkWarning(t, r)
	if refusal := withoutMappingWarning(r.stderr); r.code != 125 || strings.Count(refusal, "\n") != 0 || !strings.Contains(refusal, ref) {
		t.Fatalf("a plain-http registry without --tls-verify=false: want 125 and one line naming the image: %s", r)
	}
	t.Logf("without --tls-verify=false: %s", r.stderr)
}
