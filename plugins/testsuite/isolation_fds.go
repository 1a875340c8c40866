package testsuite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

// fdScript reads fd 3, writes to fd 4 and says which of fds 3 to 9 are
// open (a shell redirection from a closed fd fails).
const fdScript = `cat <&3; echo written >&4; for i in 3 4 5 6 7 8 9; do (: <&$i) 2>/dev/null && echo open $i; done; true`

// testPreserveFds checks Stdio.ExtraFiles (capability
// isolation.preserve-fds): the files become fds 3 and 4, opened as the
// host's fds were, and no other fd above 2 is open, for the init and for
// an exec.
func (s *isolationSuite) testPreserveFds(t *testing.T) {
	b := s.newBackend(t)
	requireCap(t, b, api.CapIsolationPreserveFds)
	c := s.mustCreate(t, b, IsolationSpec("sleep", "1000"))
	if err := b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	extra, written := preservedFiles(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "stdout")
	isoWriteFile(t, out, "")
	create := api.CreateRequest{ID: fmt.Sprintf("suite-%d", isolationIDs.Add(1)), SpecJSON: jsonOf(t, IsolationSpec("sh", "-c", fdScript)),
		Rootfs: s.rootfs(t), Stdio: api.Stdio{Stdout: out, Stderr: out, ExtraFiles: extra}}
	if _, err := b.Create(c.ctx, create); err != nil {
		t.Fatalf("Create with ExtraFiles: %v", err)
	}
	t.Cleanup(func() { _ = b.Delete(context.Background(), create.ID) })
	if err := b.Start(c.ctx, create.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := b.Wait(c.ctx, create.ID, ""); err != nil || st.Code != 0 {
		t.Fatalf("Wait: %+v, %v", st, err)
	}
	checkPreserved(t, "the init", out, written)
	if !hasCap(t, b, api.CapIsolationExec) {
		return
	}
	extra, written = preservedFiles(t)
	isoWriteFile(t, out, "")
	execID := fmt.Sprintf("exec-%d", isolationIDs.Add(1))
	_, err := b.Exec(c.ctx, api.ExecRequest{ID: c.id, ExecID: execID, ProcessJSON: jsonOf(t, ExecProcess("sh", "-c", fdScript)),
		Stdio: api.Stdio{Stdout: out, Stderr: out, ExtraFiles: extra}})
	if err != nil {
		t.Fatalf("Exec with ExtraFiles: %v", err)
	}
	c.waitExec(execID)
	checkPreserved(t, "an exec", out, written)
}

// preservedFiles are a file to read (fd 3) and one to append to (fd 4).
func preservedFiles(t *testing.T) ([]api.ExtraFile, string) {
	dir := t.TempDir()
	in, w := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	isoWriteFile(t, in, "from fd 3\n")
	isoWriteFile(t, w, "before\n")
	return []api.ExtraFile{{Path: in, Flags: os.O_RDONLY}, {Path: w, Flags: os.O_WRONLY | os.O_APPEND}}, w
}

func checkPreserved(t *testing.T, who, out, written string) {
	t.Helper()
	got, _ := readPair(t, out, out)
	if want := "from fd 3\nopen 3\nopen 4\n"; got != want {
		t.Errorf("%s with two ExtraFiles printed %q, want %q (fd 3 read, fds 3 and 4 open, nothing else)", who, got, want)
	}
	if data, _ := os.ReadFile(written); string(data) != "before\nwritten\n" {
		t.Errorf("%s: fd 4's file holds %q, want what it held plus the line written", who, data)
	}
}
