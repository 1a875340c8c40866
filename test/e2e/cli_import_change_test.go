package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestImportChange: `import --change` applies Dockerfile instructions to
// the imported image's config (commit's parser), as docker import does;
// a bad instruction is refused before anything is imported.
func TestImportChange(t *testing.T) {
	e := withBusybox(t)
	e.ok("create", "--name", "src", "busybox")
	tarball := filepath.Join(t.TempDir(), "rootfs.tar")
	e.ok("export", "-o", tarball, "src")
	e.ok("import", "--change", `CMD ["echo", "hi from cmd"]`, "-c", "ENV GREETING=hello", "-c", "WORKDIR /tmp",
		"-m", "imported with changes", tarball, "imp:1")
	if out := e.ok("run", "--rm", "imp:1").stdout; out != "hi from cmd\n" {
		t.Errorf("run of an image imported with --change CMD: %q, want the CMD's output", out)
	}
	if out := e.ok("run", "--rm", "imp:1", "sh", "-c", "echo $GREETING; pwd").stdout; out != "hello\n/tmp\n" {
		t.Errorf("ENV and WORKDIR from --change: %q, want hello and /tmp", out)
	}
	if out := e.ok("image", "inspect", "-f", "{{.Config.Cmd}}", "imp:1").stdout; out != "[echo hi from cmd]\n" {
		t.Errorf("image inspect .Config.Cmd = %q", out)
	}
	if out := e.ok("images", "-q").stdout; len(strings.Fields(out)) != 2 {
		t.Errorf("after one import with --change the store holds %q: want busybox and imp:1 only (no dangling intermediate)", out)
	}
	if r := e.run("", "import", "--change", "RUN echo no", tarball, "bad:1"); r.code != 125 || !strings.Contains(r.stderr, "RUN is not allowed") {
		t.Errorf("import --change 'RUN ...': want exit 125 saying RUN is not allowed, got %s", r)
	}
}
