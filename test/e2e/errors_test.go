package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneLine asserts rrun failed with 125 and a single line naming want.
func oneLine(t *testing.T, r result, want string) {
	t.Helper()
	if r.code != 125 {
		t.Fatalf("want exit 125: %s", r)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Fatalf("want one line with %q: %s", want, r)
	}
}

func TestUnknownImageIsOneClearLine(t *testing.T) {
	e := newEnv(t)
	oneLine(t, e.run("", "run", "--rm", "--pull", "never", "nosuchimage", "true"), "rrun load")
	// The default --pull missing tries the registry (unreachable here): one line too.
	oneLine(t, e.run("", "run", "--rm", "nosuchimage", "true"), "nosuchimage")
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("a run that could not start leaves no container with --rm: %q", ps)
	}
}

func TestUnknownFlagIs125(t *testing.T) {
	e := newEnv(t)
	oneLine(t, e.run("", "run", "--no-such-flag", "busybox"), "--help")
}

func TestMalformedArchiveLeavesImagesUnchanged(t *testing.T) {
	e := withBusybox(t)
	before := e.ok("images", "-q").stdout
	data := must(os.ReadFile(busyboxDocker))
	truncated := filepath.Join(e.home, "truncated.tar")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(e.home, "garbage.tar")
	if err := os.WriteFile(garbage, []byte("this is not a tar archive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{truncated, garbage} {
		oneLine(t, e.run("", "load", "-i", f), filepath.Base(f))
		if after := e.ok("images", "-q").stdout; after != before {
			t.Fatalf("a failed load changed the image list:\nbefore %q\nafter  %q", before, after)
		}
	}
	oneLine(t, e.run("", "load", "-i", filepath.Join(e.home, "missing.tar")), "missing.tar")
}

func TestLoadBothArchiveFormatsAndListThem(t *testing.T) {
	e := newEnv(t)
	r := e.ok("load", "-i", busyboxDocker)
	if !strings.Contains(r.stdout, "Loaded image: docker.io/library/busybox:latest") {
		t.Fatalf("load must name the image: %s", r)
	}
	r = e.ok("load", "-i", busyboxOCI)
	if !strings.Contains(r.stdout, "example.com/busybox-oci:1") {
		t.Fatalf("oci-archive load must name the image: %s", r)
	}
	list := e.ok("images").stdout
	for _, want := range []string{"REPOSITORY", "docker.io/library/busybox", "example.com/busybox-oci"} {
		if !strings.Contains(list, want) {
			t.Fatalf("images lacks %q:\n%s", want, list)
		}
	}
	if r := e.ok("run", "--rm", "example.com/busybox-oci:1", "echo", "oci ok"); r.stdout != "oci ok\n" {
		t.Fatalf("run from the oci-archive image: %s", r)
	}
}
