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
	// line with its hint once (after the single-uid mapping's warning, said
	// once by a run that got as far as its session, when the user has no
	// subordinate range): on the warm path, where the storage plugin pulls
	// in the host's network, and on the cold one, where the session asks
	// the pull broker.
	e.ok("rmi", ref)
	base := e.vars
	for _, warm := range []string{"1", "0"} {
		e.vars = append(append([]string(nil), base...), "RRUN_WARM_NETWORK="+warm)
		if warm == "0" {
			r := e.ok("run", "--rm", "--network", modes[0], "--tls-verify=false", ref, "echo", "brokered")
			expect(t, "a pull through the broker", strings.TrimSpace(r.stdout), "brokered")
			e.ok("rmi", ref)
		}
		r := e.run("", "run", "--rm", "--network", modes[0], ref, "true")
		checkWarning(t, r)
		refusal := withoutMappingWarning(r.stderr)
		if r.code != 125 || strings.Count(refusal, "\n") != 0 || !strings.Contains(refusal, ref) ||
			strings.Count(refusal, "(load it: rrun load -i FILE") != 1 {
			t.Fatalf("RRUN_WARM_NETWORK=%s: a plain-http registry without --tls-verify=false: want 125 and one line naming the image, with its hint once: %s", warm, r)
		}
		t.Logf("RRUN_WARM_NETWORK=%s, without --tls-verify=false: %s", warm, refusal)
	}
	e.vars = base
}
