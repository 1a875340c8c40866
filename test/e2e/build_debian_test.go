package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// TestBuildDebianAptInstallLocalDeb builds on the Debian minbase image a
// step that runs apt-get install of a local package file (no network):
// dpkg's owners, maintainer scripts and apt's sandbox user all work in a
// build step.
func TestBuildDebianAptInstallLocalDeb(t *testing.T) {
	archive, err := fixtures.DebianArchive()
	if errors.Is(err, fixtures.ErrNoDebianRootfs) {
		t.Fatalf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.ok("load", "-q", "-i", archive)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": `FROM ` + fixtures.DebianName + `
COPY rrun-hello.deb /tmp/
RUN apt-get install -y /tmp/rrun-hello.deb && rm /tmp/rrun-hello.deb
CMD ["rrun-hello"]
`})
	makeDeb(t, filepath.Join(ctx, "rrun-hello.deb"))
	buildOK(t, e, "-t", "debhello", ctx)
	if out := e.ok("run", "--rm", "debhello"); out.stdout != "hello from a deb\n" {
		t.Errorf("the installed program printed %q", out.stdout)
	}
	if out := e.ok("run", "--rm", "debhello", "dpkg-query", "-W", "-f", "${Status}", "rrun-hello"); out.stdout != "install ok installed" {
		t.Errorf("dpkg does not know the package as installed: %q", out.stdout)
	}
}

// makeDeb builds a one-file package with dpkg-deb.
func makeDeb(t *testing.T, out string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"DEBIAN/control":     "Package: rrun-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: rrun tests <t@example.com>\nDescription: test package\n",
		"usr/bin/rrun-hello": "#!/bin/sh\necho hello from a deb\n",
		"DEBIAN/postinst":    "#!/bin/sh\nset -e\nchmod 0755 /usr/bin/rrun-hello\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.Contains(name, "bin/") || strings.HasSuffix(name, "postinst") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", dir, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
}
