package e2e

import (
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Push to and pull from a registry on 127.0.0.1, run the pulled image,
// pull it again by digest into another store.
func TestImagePushPullRunByDigest(t *testing.T) {
	reg := newRegistry(t)
	e := withBusybox(t)
	ref, digest := reg.push(t, e, "library/busybox:1")
	e2 := newEnv(t)
	oneLine(t, e2.run("", "pull", ref), "--tls-verify=false")
	r := e2.ok("pull", "--tls-verify=false", ref)
	if lastLine(r.stdout) != ref {
		t.Fatalf("pull must print the image name last: %s", r)
	}
	if !strings.Contains(r.stderr, "Pull complete") || !strings.Contains(r.stderr, "Digest: "+digest) {
		t.Fatalf("pull must report each layer and the digest (no terminal: one line per layer): %s", r)
	}
	if r := e2.ok("run", "--rm", ref, "echo", "hi"); r.stdout != "hi\n" {
		t.Fatalf("run of the pulled image: %s", r)
	}
	e3 := newEnv(t)
	byDigest := reg.host + "/library/busybox@" + digest
	if r := e3.ok("pull", "-q", "--tls-verify=false", byDigest); strings.TrimSpace(r.stdout) != byDigest || r.stderr != "" {
		t.Fatalf("pull -q by digest must print only the name: %s", r)
	}
	if r := e3.ok("run", "--rm", byDigest, "echo", "by digest"); r.stdout != "by digest\n" {
		t.Fatalf("run by digest: %s", r)
	}
	if list := e3.ok("images", "--digests").stdout; !strings.Contains(list, digest) {
		t.Fatalf("images --digests must show %s:\n%s", digest, list)
	}
}

// Registry failures are one line, exit 125, and leave the image list as
// it was.
func TestImagePullFailuresAreOneLine(t *testing.T) {
	reg := newRegistry(t)
	e := withBusybox(t)
	reg.push(t, e, "corrupt/busybox:1")
	before := e.ok("images", "-q").stdout
	cases := []struct{ ref, want string }{
		{"127.0.0.1:1/busybox:1", "unreachable"},
		{reg.ref("library/nosuch:1"), "no such image"},
		{reg.host + "/library/busybox@sha256:" + strings.Repeat("0", 64), "no such image"},
		{reg.ref("corrupt/busybox:1"), "digest"},
		{"Not/A/Valid:Ref", "invalid image reference"},
	}
	for _, c := range cases {
		e.run("", "rmi", "-f", c.ref) // the tag made by push, if any
		oneLine(t, e.run("", "pull", "--tls-verify=false", c.ref), c.want)
	}
	e.ok("tag", "busybox", "docker.io/library/busybox:latest")
	if after := e.ok("images", "-q").stdout; after != before {
		t.Fatalf("failed pulls changed the image list:\nbefore %q\nafter  %q", before, after)
	}
}

// Two pulls of one image at once both succeed, and a pull killed with
// SIGKILL half way leaves a store the next pull and run use.
func TestImageConcurrentAndKilledPulls(t *testing.T) {
	reg := newRegistry(t)
	src := withBusybox(t)
	ref, _ := reg.push(t, src, "library/busybox:1")
	stallRef, _ := reg.push(t, src, "stall/busybox:1")
	e := newEnv(t)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = e.run("", "pull", "-q", "--tls-verify=false", ref) }()
	}
	wg.Wait()
	for _, r := range results {
		if r.code != 0 {
			t.Fatalf("concurrent pull failed: %s", r)
		}
	}
	cmd := e.start("pull", "--tls-verify=false", stallRef)
	select {
	case <-reg.stalled:
	case <-time.After(time.Minute):
		t.Fatal("the pull never reached the stalled blob")
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	close(reg.release)
	e.ok("pull", "-q", "--tls-verify=false", stallRef)
	if r := e.ok("run", "--rm", stallRef, "echo", "after kill"); r.stdout != "after kill\n" {
		t.Fatalf("run after a killed pull: %s", r)
	}
	e.ok("run", "--rm", ref, "true")
}
