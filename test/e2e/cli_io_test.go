package e2e

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// save writes to stdout when it is not a terminal, and -o archives are 0644;
// import - reads a tarball from stdin.
func TestCLISaveToStdoutAndImportFromStdin(t *testing.T) {
	e := withBusybox(t)
	out := filepath.Join(e.home, "o.tar")
	e.ok("save", "-o", out, "busybox")
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("save -o must leave a 0644 archive: %v %v", st.Mode(), err)
	}
	r := e.ok("save", "busybox")
	if len(r.stdout) < 100_000 || r.stdout != string(must(os.ReadFile(out))) && !strings.Contains(r.stdout, "manifest.json") {
		t.Fatalf("save to stdout wrote %d bytes", len(r.stdout))
	}
	fresh := newEnv(t)
	if got := fresh.run(r.stdout, "load", "-q"); got.code != 0 || !strings.Contains(got.stdout, "Loaded image: docker.io/library/busybox:latest") {
		t.Fatalf("load of what save wrote to stdout: %s", got)
	}
	es, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	imp := fresh.run(string(must(fixtures.Tar(es))), "import", "-", "fromstdin:1")
	if imp.code != 0 || !strings.HasPrefix(imp.stdout, "sha256:") {
		t.Fatalf("import -: %s", imp)
	}
	if r := fresh.ok("run", "--rm", "fromstdin:1", "/bin/busybox", "echo", "ok"); r.stdout != "ok\n" {
		t.Fatalf("run of an image imported from stdin: %s", r)
	}
}

// -it with a stdin that is no terminal is refused as docker does; exec -t
// sets TERM as run -t does; exec without arguments says what is missing.
func TestCLITTYChecksAndExecTerm(t *testing.T) {
	e := withBusybox(t)
	for _, args := range [][]string{{"run", "-it", "busybox", "true"}, {"exec", "-it", "whatever", "true"}} {
		r := e.run("", args...)
		if r.code != 1 || strings.TrimSpace(r.stderr) != "rrun: the input device is not a TTY" {
			t.Errorf("%v with a pipe as stdin: %s", args, r)
		}
	}
	id := e.detached("busybox", "sh", "-c", "echo ready; while true; do sleep 0.1; done")
	e.waitLog(id, "ready")
	cmd, master := startOnPty(t, e, "exec", "-it", id, "sh", "-c", "echo TERM=$TERM")
	var out strings.Builder
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(done) }()
	_ = cmd.Wait()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if !strings.Contains(out.String(), "TERM=xterm") {
		t.Errorf("exec -it must set TERM=xterm: %q", out.String())
	}
	if r := e.ok("exec", "-e", "TERM=vt100", id, "sh", "-c", "echo TERM=$TERM"); r.stdout != "TERM=vt100\n" {
		t.Errorf("exec -e TERM: %s", r)
	}
	for _, args := range [][]string{{"exec"}, {"exec", id}} {
		if r := e.run("", args...); r.code != 125 || !strings.Contains(r.stderr, "needs") || strings.Contains(r.stderr, "arg(s)") {
			t.Errorf("%v: %s", args, r)
		}
	}
	e.ok("rm", "-f", id)
}
